package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.NodeKeys;

/**
 * The node's keystores are read in parallel at start (issue 26: each costs a key derivation), and a start that
 * cannot read one still names the same one as when they were read in turn: the first of tls, signing, encryption.
 */
class NodeKeysLoadTest {
    @TempDir
    Path dir;

    @Test
    void allThreeAreReadAndAFailureNamesTheFirstKeystoreThatDoesNotOpen() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path configFile = t.config(TestNodes.AL);
        NodeConfig config = NodeConfig.load(configFile);
        NodeKeys keys = NodeKeys.load(config, p -> NodeConfig.resolve(configFile, p), null);
        assertThat(keys.tls().certificate()).isNotNull();
        assertThat(keys.signing().fingerprint()).isNotEqualTo(keys.tls().fingerprint());
        assertThat(keys.encryption().fingerprint()).isNotEqualTo(keys.signing().fingerprint());

        Files.writeString(NodeConfig.resolve(configFile, config.encryption().passwordFile()), "not the password");
        assertThatThrownBy(() -> NodeKeys.load(config, p -> NodeConfig.resolve(configFile, p), null))
                .isInstanceOf(GeneralSecurityException.class).hasMessageStartingWith("encryption: cannot open");
        Files.writeString(NodeConfig.resolve(configFile, config.signing().passwordFile()), "not the password");
        assertThatThrownBy(() -> NodeKeys.load(config, p -> NodeConfig.resolve(configFile, p), null))
                .isInstanceOf(GeneralSecurityException.class).hasMessageStartingWith("signing: cannot open");
        Files.writeString(NodeConfig.resolve(configFile, config.tls().passwordFile()), "not the password");
        assertThatThrownBy(() -> NodeKeys.load(config, p -> NodeConfig.resolve(configFile, p), null))
                .isInstanceOf(GeneralSecurityException.class).hasMessageStartingWith("tls: cannot open");
    }
}
