package org.liaison.cli.directory;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.Fingerprint;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Json;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.model.Service;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", mixinStandardHelpOptions = true,
        header = "Show a verified directory: its authorities, endpoints, certificates and JITs.",
        description = {"Show a verified directory: authorities (services, suites, endpoints, certificate fingerprints) and JITs.",
            "The directory is verified first (give --federation, or --operator-ca and --operator-crl)."},
        footer = {"", "Example:", "  liaison directory show federation/directory.xml --federation federation --json"})
public final class DirectoryShowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The directory to show.")
    Path file;

    @Mixin
    FederationOptions federation;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        FederationDirectory d = federation.verifier().verify(Files.readAllBytes(file), Instant.now());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("federation", d.federation());
        m.put("sequence", d.sequence());
        m.put("issued", d.issued().toString());
        m.put("nextUpdate", d.nextUpdate().toString());
        m.put("sha256", d.sha256());
        List<Map<String, Object>> as = new ArrayList<>();
        for (FederationDirectory.Entry e : d.authorities().values()) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", e.id().value());
            a.put("name", e.name());
            a.put("services", e.services().stream().map(Service::value).toList());
            a.put("suites", e.suites().stream().map(s -> s.id()).toList());
            a.put("endpoints", e.endpoints());
            a.put("gatewayCertificates", fingerprints(e.gatewayCertificates()));
            a.put("signingCertificates", fingerprints(e.signingCertificates()));
            a.put("encryptionCertificates", fingerprints(e.encryptionCertificates()));
            a.put("kemCertificates", fingerprints(e.kemCertificates()));
            a.put("auditLogKeys", e.auditLogKeys());
            a.put("witnessKeys", d.witnessing().keysOf(e.id()).stream().map(Object::toString).toList());
            a.put("witnesses", d.witnessing().of(e.id()).map(w -> w.quorum() + " of " + w.witnesses()).orElse("none"));
            a.put("nationalCas", fingerprints(e.nationalCas()));
            as.add(a);
        }
        m.put("authorities", as);
        List<Map<String, Object>> js = new ArrayList<>();
        for (FederationDirectory.JitEntry j : d.jits().values()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("id", j.id());
            x.put("name", j.name());
            x.put("lead", j.lead().value());
            x.put("members", j.members().stream().map(a -> a.value()).toList());
            x.put("validFrom", j.validFrom().toString());
            x.put("validUntil", j.validUntil().toString());
            x.put("legalBasis", j.legalBasis());
            js.add(x);
        }
        m.put("jits", js);
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            o.println(Json.write(m));
            return 0;
        }
        o.println("Directory #" + d.sequence() + " of " + d.federation() + " (verified), issued " + d.issued() + ", next update "
                + d.nextUpdate());
        for (Map<String, Object> a : as) {
            o.println();
            o.println(a.get("id") + "  " + printable(String.valueOf(a.get("name"))));
            o.println("  endpoints   " + printable(String.valueOf(a.get("endpoints"))));
            o.println("  suites      " + a.get("suites"));
            o.println("  services    " + String.join(", ", (List<String>) a.get("services")));
            o.println("  gateway TLS " + a.get("gatewayCertificates"));
            o.println("  signing     " + a.get("signingCertificates"));
            o.println("  encryption  " + a.get("encryptionCertificates") + " (senders seal to the first)");
            if (!((List<?>) a.get("kemCertificates")).isEmpty()) {
                o.println("  ML-KEM-768  " + a.get("kemCertificates") + " (each completes the encryption certificate it names)");
            }
            o.println("  national CA " + a.get("nationalCas"));
            o.println("  audit key   " + (((List<?>) a.get("auditLogKeys")).isEmpty() ? "(none listed: peers pin the first they see)"
                    : a.get("auditLogKeys")));
            o.println("  witness key " + a.get("witnessKeys") + "; its log is witnessed by " + a.get("witnesses"));
        }
        for (Map<String, Object> j : js) {
            o.println();
            o.println(printable(j.get("id") + "  " + j.get("name") + " (lead " + j.get("lead") + ", " + j.get("legalBasis") + ")"));
            o.println("  members " + j.get("members") + ", valid " + j.get("validFrom") + " to " + j.get("validUntil"));
        }
        return 0;
    }

    private static List<String> fingerprints(List<X509Certificate> certs) {
        return certs.stream().map(c -> "SHA256:" + Fingerprint.of(c).hex().substring(0, 16) + "…").toList();
    }
}
