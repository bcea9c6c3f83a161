package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.gateway.local.LocalApiHandler;
import org.liaison.gateway.net.ResumeFrom;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * What a legitimate member used maliciously must not achieve at Albania's node (issue 9, defects
 * 2, 3, 4 and 6), over real sockets: each attempt is refused with its own error code, audited,
 * and changes nothing.
 */
class HostileMemberTest extends AlbaniaNodeTest {


    /** Sends a message body as {@code from}'s gateway (its real TLS certificate). */
    RawPeer.Response send(AuthorityId from, byte[] body) throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(from).gatewayTls(), "TLSv1.3")) {
            return RawPeer.post(s, "", body);
        }
    }

    byte[] honest(AuthorityId from, UUID id) throws Exception {
        return RawPeer.message(al.trust().directory(), auth(from).envelopeSigning(), from, List.of(AL), id,
                RawPeer.manifest(t.investigator(from), from, List.of(AL), Set.of()), RawPeer.PAYLOAD);
    }

    boolean refusedWith(ErrorCode code) throws InterruptedException {
        return eventually(events -> events.stream().anyMatch(e -> e.type().equals("reject") && e.reason() != null
                && e.reason().startsWith(code.code())));
    }

    /** The JDK's TLS client signs only with the JDK's own key objects (as LocalClient gets them from PKCS#12). */
    static Credential jdkKey(Credential c) throws Exception {
        java.security.PrivateKey k = c.privateKey();
        java.security.KeyFactory f = java.security.KeyFactory.getInstance(k.getAlgorithm(), "SunEC");
        return Credential.create(f.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(k.getEncoded())), c.chain());
    }

    RawPeer.Response local(Credential user, String method, String path, String headers) throws Exception {
        try (SSLSocket s = RawPeer.connect(al.localPort(), jdkKey(user), "TLSv1.3")) {
            return RawPeer.request(s, method, path, headers, new byte[0]);
        } catch (java.io.IOException e) {
            throw new AssertionError("refused; audit: " + audit.events(), e);
        }
    }

    Credential operator() throws Exception {
        KeyPair kp = t.federation.pki().suite().keyFor(CertificateProfile.OPERATOR).generate();
        Instant now = Instant.now();
        return Credential.create(kp.getPrivate(), auth(AL).ca().issue(new CertificateAuthority.Request("CN=AL-PP operator, OU=AL-PP",
                kp.getPublic(), CertificateProfile.OPERATOR, now.minusSeconds(60), now.plus(Duration.ofDays(1)), List.of(), List.of(), -1)));
    }

    @Test
    void anIdAlreadyHeldFromAnotherSenderIsRefused() throws Exception {
        UUID id = UUID.randomUUID();
        assertThat(send(IT, honest(IT, id)).status()).isEqualTo(200);

        RawPeer.Response r = send(US, honest(US, id));

        assertThat(r.status()).isEqualTo(409);
        assertThat(r.body()).contains(ErrorCode.MESSAGE_ID_CONFLICT.code());
        assertThat(refusedWith(ErrorCode.MESSAGE_ID_CONFLICT)).isTrue();
        assertThat(al.store().inbox().all()).extracting(MessageStore.Received::sender).containsExactly(IT);
    }

    @Test
    void whoeverComesFirstWithAnIdTheOtherIsRefusedAndTheLookupIsUnambiguous() throws Exception {
        UUID id = UUID.randomUUID();
        assertThat(send(US, honest(US, id)).status()).isEqualTo(200);
        RawPeer.Response second = send(IT, honest(IT, id));
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.body()).contains(ErrorCode.MESSAGE_ID_CONFLICT.code());
        assertThat(al.store().inbox().all()).hasSize(1);
        assertThat(al.store().inbox().received(id).orElseThrow().sender()).isEqualTo(US);
    }

    @Test
    void aPackageRelayedByAnotherMemberIsRefused() throws Exception {
        // Italy's package for the US, marked no-onward-transfer; the US re-seals it, unchanged, to Albania.
        byte[] italys = RawPeer.manifest(t.investigator(IT), IT, List.of(US), Set.of(HandlingFlag.NO_ONWARD_TRANSFER));
        RawPeer.Response r = send(US, RawPeer.message(al.trust().directory(), auth(US).envelopeSigning(), US, List.of(AL),
                UUID.randomUUID(), italys, RawPeer.PAYLOAD));

        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).contains(ErrorCode.PACKAGE_MISMATCH.code()).contains("no-onward-transfer");
        assertThat(refusedWith(ErrorCode.PACKAGE_MISMATCH)).isTrue();
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void aPackageForOtherAddresseesIsRefusedEvenFromItsOwnAuthority() throws Exception {
        byte[] forUs = RawPeer.manifest(t.investigator(IT), IT, List.of(US), Set.of());
        RawPeer.Response r = send(IT, RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL),
                UUID.randomUUID(), forUs, RawPeer.PAYLOAD));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).contains(ErrorCode.PACKAGE_MISMATCH.code());
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void anEnvelopeWhoseManifestIsNotAManifestIsRefused() throws Exception {
        byte[] notAManifest = "<x xmlns=\"urn:example\">not a manifest</x>".getBytes(StandardCharsets.UTF_8);
        RawPeer.Response r = send(IT, RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL),
                UUID.randomUUID(), notAManifest, RawPeer.PAYLOAD));
        assertThat(r.status()).isEqualTo(400);
        assertThat(al.store().inbox().all()).isEmpty();
        assertThat(inboxListing(t.investigator(AL)).status()).isEqualTo(200);
    }

    @Test
    void aSignedManifestNamingAPathIsRefused() throws Exception {
        Document doc = SecureXml.parse(RawPeer.manifest(t.investigator(IT), IT, List.of(AL), Set.of()), XmlLimits.DEFAULT);
        Element root = doc.getDocumentElement();
        root.removeChild(root.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").item(0));
        ((Element) root.getElementsByTagNameNS(root.getNamespaceURI(), "File").item(0)).setAttribute("name", "../../x");
        XmlSignatures.sign(doc, t.investigator(IT)); // a real investigator's signature over the hostile name
        RawPeer.Response r = send(IT, RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL),
                UUID.randomUUID(), SecureXml.serialize(doc), RawPeer.PAYLOAD));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains(ErrorCode.SCHEMA_INVALID.code());
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void aSignedManifestWithADateOutOfRangeIsRefusedAndAudited() throws Exception {
        // Year 292278995 overflowed into an overdue request of year -292275054; a deadline a thousand years ahead is no deadline.
        for (String respondBy : List.of("292278995-01-01T00:00:00Z", "3026-01-01T00:00:00Z")) {
            Document doc = SecureXml.parse(RawPeer.manifest(t.investigator(IT), IT, List.of(AL), Set.of()), XmlLimits.DEFAULT);
            Element root = doc.getDocumentElement();
            root.removeChild(root.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").item(0));
            Element by = doc.createElementNS(root.getNamespaceURI(), "RespondBy");
            by.setTextContent(respondBy);
            root.insertBefore(by, root.getElementsByTagNameNS(root.getNamespaceURI(), "File").item(0));
            XmlSignatures.sign(doc, t.investigator(IT)); // a real investigator's signature over the absurd date
            RawPeer.Response r = send(IT, RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL),
                    UUID.randomUUID(), SecureXml.serialize(doc), RawPeer.PAYLOAD));
            assertThat(r.status()).as(respondBy).isEqualTo(400);
            assertThat(r.body()).as(respondBy).contains(ErrorCode.SCHEMA_INVALID.code());
            assertThat(al.store().inbox().all()).as(respondBy).isEmpty();
            String year = respondBy.substring(0, respondBy.indexOf('-'));
            assertThat(eventually(events -> events.stream().anyMatch(e -> e.type().equals("reject") && e.reason() != null
                    && e.reason().startsWith(ErrorCode.SCHEMA_INVALID.code()) && e.reason().contains(year)))).as(respondBy).isTrue();
        }
    }

    @Test
    void aManifestWhoseSizeDiffersFromThePayloadIsRefused() throws Exception {
        byte[] manifest = RawPeer.manifest(t.investigator(IT), IT, List.of(AL), Set.of()); // says 7 bytes
        RawPeer.Response r = send(IT, RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL),
                UUID.randomUUID(), manifest, "a longer payload than the manifest says".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).contains(ErrorCode.PACKAGE_MISMATCH.code());
        assertThat(al.store().inbox().all()).isEmpty();
    }

    RawPeer.Response inboxListing(Credential user) throws Exception {
        return local(user, "GET", LocalApiHandler.PREFIX + "inbox", "");
    }

    @Test
    void aBadStoredRowDoesNotBreakTheListingAndAnOperatorCanQuarantineIt() throws Exception {
        UUID good = UUID.randomUUID();
        assertThat(send(IT, honest(IT, good)).status()).isEqualTo(200);
        // A row stored before reception checked packages (or changed at rest): its envelope does not read.
        UUID bad = UUID.randomUUID();
        byte[] junk = "<not-an-envelope/>".getBytes(StandardCharsets.UTF_8);
        al.store().inbox().storeReceived(new MessageStore.Received(US, bad, Instant.now(), junk, Envelopes.sha256(junk),
                junk, dir.resolve("nowhere")));

        RawPeer.Response list = inboxListing(t.investigator(AL));
        assertThat(list.status()).isEqualTo(200);
        JsonNode rows = new ObjectMapper().readTree(list.body());
        assertThat(rows).hasSize(2);
        // Newest first: the bad row, stored last, is listed with its problem; the good one as usual.
        assertThat(rows.get(0).path("messageId").asText()).isEqualTo(bad.toString());
        assertThat(rows.get(0).path("problem").asText()).isNotEmpty();
        assertThat(rows.get(1).path("messageId").asText()).isEqualTo(good.toString());
        assertThat(rows.get(1).path("case").asText()).isEqualTo("OP-RAW-1");
        assertThat(al.metrics().scrape()).contains("liaison_store_corrupt_total");

        // Investigators cannot quarantine; the operator can, with a reason, and it is audited.
        assertThat(local(t.investigator(AL), "POST", LocalApiHandler.PREFIX + "inbox/" + bad + LocalApiHandler.QUARANTINE,
                LocalApiHandler.REASON_HEADER + ": unreadable\r\n").status()).isEqualTo(403);
        Credential operator = operator();
        // A reason that would forge a second line in logs or listings is refused, and nothing is set aside.
        RawPeer.Response forged = local(operator, "POST", LocalApiHandler.PREFIX + "inbox/" + bad + LocalApiHandler.QUARANTINE,
                LocalApiHandler.REASON_HEADER + ": ok%0AX-Forged: yes\r\n");
        assertThat(forged.status()).isEqualTo(400);
        assertThat(al.store().inbox().received(bad).orElseThrow().quarantine()).isNull();
        RawPeer.Response q = local(operator, "POST", LocalApiHandler.PREFIX + "inbox/" + bad + LocalApiHandler.QUARANTINE,
                LocalApiHandler.REASON_HEADER + ": unreadable since 2026-11\r\n");
        assertThat(q.status()).as(q.body()).isEqualTo(200);
        assertThat(audit.events()).anyMatch(e -> e.type().equals("quarantine") && bad.toString().equals(e.messageId()));
        JsonNode after = new ObjectMapper().readTree(inboxListing(operator).body());
        JsonNode quarantined = null;
        for (JsonNode row : after) {
            if (row.path("messageId").asText().equals(bad.toString())) {
                quarantined = row;
            }
        }
        assertThat(quarantined).as("the quarantined row is still listed").isNotNull();
        assertThat(quarantined.path("quarantined").asText()).isEqualTo("unreadable since 2026-11");
        RawPeer.Response fetch = local(t.investigator(AL), "GET", LocalApiHandler.PREFIX + "inbox/" + bad, "");
        assertThat(fetch.body()).contains(ErrorCode.QUARANTINED.code());
    }

    /** Sends the first {@code n} bytes of a message body (announcing all of it), then drops the connection. */
    void sendPartly(AuthorityId from, byte[] body, int n) throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(from).gatewayTls(), "TLSv1.3")) {
            java.io.OutputStream out = s.getOutputStream();
            out.write(("POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: node\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, n);
            out.flush();
            Thread.sleep(300);
        }
    }

    /** The resume offset the receiver gives {@code from} for {@code id} (waits until the broken transfer was let go). */
    long transferOffset(AuthorityId from, UUID id) throws Exception {
        long[] offset = {-1};
        TestNodes.await("the transfer state", Duration.ofSeconds(10), () -> {
            try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(from).gatewayTls(), "TLSv1.3")) {
                RawPeer.Response r = RawPeer.request(s, "GET", ReceiveHandler.transferPath(id), "", new byte[0]);
                if (r.status() == 200) {
                    offset[0] = new ObjectMapper().readTree(r.body()).get("offset").asLong();
                }
                return r.status() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        return offset[0];
    }

    /** The rest of a message body from payload byte {@code from}: its envelope again, then the payload bytes. */
    static byte[] resumed(byte[] body, long from) {
        int envelope = java.nio.ByteBuffer.wrap(body).getInt();
        int payloadStart = 4 + envelope;
        byte[] rest = new byte[payloadStart + body.length - payloadStart - (int) from];
        System.arraycopy(body, 0, rest, 0, payloadStart);
        System.arraycopy(body, payloadStart + (int) from, rest, payloadStart, body.length - payloadStart - (int) from);
        return rest;
    }

    RawPeer.Response sendResumed(AuthorityId from, byte[] rest, long offset) throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(from).gatewayTls(), "TLSv1.3")) {
            return RawPeer.post(s, ResumeFrom.HEADER + ": " + offset + "\r\n", rest);
        }
    }

    @Test
    void aResumedTransferIsCheckedWholeAndScopedToItsSender() throws Exception {
        int seg = PayloadCipher.MIN_SEGMENT_SIZE;
        int sealed = seg + PayloadCipher.TAG_SIZE;
        int header = PayloadCipher.HEADER_SIZE;
        byte[] plain = new byte[6 * seg + 123];
        new java.util.Random(7).nextBytes(plain);
        UUID id = UUID.randomUUID();
        byte[] body = RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL), id,
                RawPeer.manifest(t.investigator(IT), IT, List.of(AL), Set.of(), plain), plain);
        int payloadStart = 4 + java.nio.ByteBuffer.wrap(body).getInt();
        long verified = header + 3L * sealed; // three whole segments arrive, and half of the fourth
        sendPartly(IT, body, payloadStart + (int) verified + sealed / 2);

        // Another member asking about the same id learns nothing of IT's transfer, and changes nothing.
        assertThat(transferOffset(US, id)).isZero();
        assertThat(transferOffset(IT, id)).isEqualTo(verified);

        // A resume at another offset than the verified one is refused, and the staged bytes stay.
        RawPeer.Response wrongOffset = sendResumed(IT, resumed(body, verified + sealed), verified + sealed);
        assertThat(wrongOffset.status()).isEqualTo(409);
        assertThat(wrongOffset.body()).contains(ErrorCode.RESUME_MISMATCH.code());
        assertThat(transferOffset(IT, id)).isEqualTo(verified);

        // The resumed bytes differ from the ones the signed envelope lists: refused, and nothing staged is kept.
        byte[] altered = resumed(body, verified);
        altered[altered.length - 1000] ^= 1;
        RawPeer.Response r = sendResumed(IT, altered, verified);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).contains(ErrorCode.DIGEST_MISMATCH.code());
        assertThat(al.store().inbox().all()).isEmpty();
        assertThat(transferOffset(IT, id)).isZero();

        // Broken again, then resumed with the right bytes: stored once, receipted, and the package is whole.
        sendPartly(IT, body, payloadStart + (int) verified + 10);
        assertThat(transferOffset(IT, id)).isEqualTo(verified);
        RawPeer.Response ok = sendResumed(IT, resumed(body, verified), verified);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(al.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(id);
        assertThat(eventually(events -> events.stream().anyMatch(e -> e.type().equals("receive-resume")))).isTrue();
        // Asked again, the receiver says it has the message; a resend of the envelope alone gets the same receipt.
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            RawPeer.Response state = RawPeer.request(s, "GET", ReceiveHandler.transferPath(id), "", new byte[0]);
            assertThat(new ObjectMapper().readTree(state.body()).get("received").asBoolean()).isTrue();
        }
        RawPeer.Response again = sendResumed(IT, resumed(body, body.length - payloadStart), body.length - payloadStart);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(ok.body());
        assertThat(al.store().inbox().all()).hasSize(1);
    }

    @Test
    void malformedResumeOffsetsAndRangesAreRefusedAndChangeNothing() throws Exception {
        UUID id = UUID.randomUUID();
        byte[] body = honest(IT, id);
        for (String offset : new String[] {"-5", "abc", "99999999999999999999"}) {
            RawPeer.Response r;
            try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
                r = RawPeer.post(s, ResumeFrom.HEADER + ": " + offset + "\r\n", body);
            }
            assertThat(r.status()).as(offset).isEqualTo(400);
            assertThat(r.body()).contains(ErrorCode.SCHEMA_INVALID.code());
        }
        // A resume of a message nothing was staged for: refused, retryable, nothing stored.
        RawPeer.Response none = sendResumed(IT, resumed(body, 10), 10);
        assertThat(none.status()).isEqualTo(409);
        assertThat(none.body()).contains(ErrorCode.RESUME_MISMATCH.code());
        assertThat(al.store().inbox().all()).isEmpty();

        assertThat(send(IT, body).status()).isEqualTo(200);
        String path = LocalApiHandler.PREFIX + "inbox/" + id;
        // Only "the rest from byte N" is served, and N must lie inside the package.
        for (String range : new String[] {"bytes=0-10", "bytes=-5", "items=3-", "bytes=999999999-"}) {
            RawPeer.Response r = local(t.investigator(AL), "GET", path, "Range: " + range + "\r\n");
            assertThat(r.status()).as(range).isEqualTo(400);
        }
        RawPeer.Response rest = local(t.investigator(AL), "GET", path, "Range: bytes=4-\r\n");
        assertThat(rest.status()).isEqualTo(206);
        // The upload state needs the key it is asked for.
        RawPeer.Response noKey = local(t.investigator(AL), "GET", LocalApiHandler.PREFIX + "submit", "");
        assertThat(noKey.status()).isEqualTo(400);
    }
}
