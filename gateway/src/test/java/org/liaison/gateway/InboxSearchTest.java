package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.gateway.node.GatewayNode;

/**
 * An investigator searches the inbox and reads it a page at a time (issue 26, item 6): `liaison inbox`
 * filters by case, sender, service and reception time, pages with --limit and --after (the output says
 * how to get the next page), and a bad filter is refused with a message that names it.
 */
class InboxSearchTest {
    @TempDir
    Path dir;

    private static String submit(Path profile, Path file, String caseRef, String service) {
        BackupRestoreTest.Run r = BackupRestoreTest.cli("--profile", profile.toString(), "submit", "--to", "AL-PP", "--case", caseRef,
                "--legal-basis", "UNTOC art. 18", "--new", "--service", service, file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static JsonNode json(Path profile, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--profile", profile.toString(), "inbox", "--json"));
        args.addAll(List.of(more));
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        return JsonLines.of(r.out());
    }

    private static JsonNode status(Path profile, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--profile", profile.toString(), "status", "--json"));
        args.addAll(List.of(more));
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        return JsonLines.of(r.out());
    }

    private static List<String> ids(JsonNode rows) {
        List<String> ids = new ArrayList<>();
        rows.forEach(m -> ids.add(m.path("messageId").asText()));
        return ids;
    }

    @Test
    void theInboxIsSearchedByCaseSenderServiceAndTimeAndReadAPageAtATime() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "please send the records");
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = t.start(AL)) {
            String a = submit(it, file, "OP-A", "mla-request");
            String b = submit(it, file, "OP-B", "mla-request");
            String c = submit(it, file, "OP-A", "consular-notification");
            TestNodes.await("three deliveries", Duration.ofSeconds(30), () -> alNode.store().inbox().all().size() == 3);

            assertThat(ids(json(al))).containsExactlyInAnyOrder(a, b, c);
            assertThat(ids(json(al, "--case", "OP-A"))).containsExactlyInAnyOrder(a, c);
            assertThat(ids(json(al, "--case", "OP-A", "--service", "consular-notification"))).containsExactly(c);
            assertThat(ids(json(al, "--from", "IT-DNA"))).hasSize(3);
            assertThat(json(al, "--from", "US-OIA")).isEmpty();
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            String tomorrow = LocalDate.now(ZoneOffset.UTC).plusDays(1).toString();
            assertThat(ids(json(al, "--since", LocalDate.now(ZoneOffset.UTC).minusDays(1).toString(), "--until", tomorrow))).hasSize(3);
            assertThat(json(al, "--since", tomorrow)).isEmpty();
            assertThat(json(al, "--until", LocalDate.now(ZoneOffset.UTC).minusDays(1).toString())).isEmpty();
            BackupRestoreTest.Run none = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--case", "OP-NONE");
            assertThat(none.out()).contains("No message matches.");

            // Pages of two: the text says how to get the next one; the pages hold each message once, in the listing's order.
            BackupRestoreTest.Run first = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--limit", "2");
            assertThat(first.code()).as(first.err()).isZero();
            Matcher next = Pattern.compile("run the same command with --after (\\S+)").matcher(first.out());
            assertThat(next.find()).as(first.out()).isTrue();
            BackupRestoreTest.Run second = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--limit", "2", "--after", next.group(1));
            assertThat(second.code()).as(second.err()).isZero();
            assertThat(second.out()).doesNotContain("--after");
            List<String> whole = ids(json(al));
            assertThat(first.out()).contains(whole.get(0)).contains(whole.get(1)).doesNotContain(whole.get(2));
            assertThat(second.out()).contains(whole.get(2)).doesNotContain(whole.get(0)).doesNotContain(whole.get(1));
            JsonNode page = json(al, "--limit", "2");
            assertThat(ids(json(al, "--limit", "2", "--after", page.get(1).path("cursor").asText()))).containsExactly(whole.get(2));
            BackupRestoreTest.Run end = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--limit", "1", "--after",
                    json(al, "--limit", "3").get(2).path("cursor").asText());
            assertThat(end.out()).contains("No more messages.");

            // Bad input: refused by the gateway, naming what is wrong.
            for (String[] bad : new String[][] {{"--limit", "0"}, {"--limit", "5000"}, {"--since", "yesterday"}, {"--service", "gossip"},
                {"--from", "nobody"}, {"--case", "no spaces"}, {"--limit", "2", "--after", "not-a-cursor"},
                {"--since", tomorrow, "--until", today}}) {
                List<String> args = new ArrayList<>(List.of("--profile", al.toString(), "inbox"));
                args.addAll(List.of(bad));
                BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(new String[0]));
                assertThat(r.code()).as(String.join(" ", bad)).isNotZero();
                String name = bad[bad.length - 2].substring(2);
                assertThat(r.err()).as(String.join(" ", bad)).contains("LIAISON:0003").contains(name + ":");
            }
            assertThat(BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--after", "x").err()).contains("LIAISON:0003")
                    .contains("after:");

            // The text ends with the exact command of the next page; --json gives one object per line and puts it on stderr.
            assertThat(first.out()).contains("\n  liaison --profile " + al + " inbox --limit 2 --after " + next.group(1));
            BackupRestoreTest.Run lines = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--limit", "2", "--json");
            assertThat(lines.out().strip().split("\n")).hasSize(2);
            assertThat(lines.err()).contains("inbox --limit 2 --json --after ");
            assertThat(ids(json(al, "--unanswered"))).containsExactlyInAnyOrder(a, b, c);

            // The sender's side takes the same shape: status filters by case, recipient, service and time, a page at a time.
            assertThat(ids(status(it))).containsExactly(c, b, a); // newest first
            assertThat(ids(status(it, "--case", "OP-A"))).containsExactly(c, a);
            assertThat(ids(status(it, "--to", "AL-PP", "--service", "mla-request"))).containsExactly(b, a);
            assertThat(status(it, "--to", "US-OIA")).isEmpty();
            assertThat(ids(status(it, "--unanswered"))).containsExactly(c, b, a);
            assertThat(status(it, "--overdue")).isEmpty();
            assertThat(status(it, "--since", tomorrow)).isEmpty();
            BackupRestoreTest.Run sentFirst = BackupRestoreTest.cli("--profile", it.toString(), "status", "--limit", "2");
            Matcher sentNext = Pattern.compile("run the same command with --after (\\S+)").matcher(sentFirst.out());
            assertThat(sentNext.find()).as(sentFirst.out()).isTrue();
            assertThat(sentFirst.out()).contains(c).contains(b).doesNotContain(a);
            BackupRestoreTest.Run sentSecond = BackupRestoreTest.cli("--profile", it.toString(), "status", "--limit", "2", "--after",
                    sentNext.group(1));
            assertThat(sentSecond.out()).contains(a).doesNotContain(c).doesNotContain("--after");
            BackupRestoreTest.Run badTo = BackupRestoreTest.cli("--profile", it.toString(), "status", "--to", "nobody");
            assertThat(badTo.err()).contains("LIAISON:0003").contains("to:");
        }
    }
}
