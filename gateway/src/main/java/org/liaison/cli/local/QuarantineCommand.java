package org.liaison.cli.local;

import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.gateway.local.LocalApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "quarantine", mixinStandardHelpOptions = true,
        description = {"Set a received message aside (operators): kept and audited, no longer listed or served.", "",
            "For a stored message that cannot be read (the inbox lists it as CANNOT BE READ) or must not be",
            "served while something is examined. The message stays in the store and its files stay on disk as evidence;",
            "investigators see it marked QUARANTINED and a fetch is refused (LIAISON:0031). Needs a profile with an",
            "operator certificate of this authority (liaison certs issue --profile operator)."},
        footer = {"", "Example:", "  liaison --profile ops quarantine 3f2a0c7e-… --reason \"payload does not decrypt since the disk repair\""})
public final class QuarantineCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @Parameters(paramLabel = "ID", description = "The received message's id (from `liaison inbox`).")
    String id;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (1 to 500 characters); audited.")
    String reason;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode answer = new LocalClient(root.profile()).post(LocalApi.INBOX + "/" + id + LocalApi.QUARANTINE,
                LocalApi.REASON, LocalClient.reason(reason));
        if (json) {
            spec.commandLine().getOut().println(Json.write(answer));
        } else {
            spec.commandLine().getOut().println("Quarantined " + StatusCommand.text(answer, "messageId") + ": " + printable(reason));
        }
        return 0;
    }
}
