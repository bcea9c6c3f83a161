package org.liaison.gateway.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ASiC-E shape: written with mimetype first and stored; read only when it has that shape and plain names. */
class AsicETest {
    @TempDir
    Path dir;

    @Test
    void aWrittenContainerReadsBackWithItsEntriesInOrder() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("a/one.xml", "<a/>".getBytes(StandardCharsets.UTF_8));
        m.put("META-INF/signatures001.xml", "<s/>".getBytes(StandardCharsets.UTF_8));
        Path f = Files.write(dir.resolve("c.asice"), AsicE.write(m));
        assertThat(AsicE.read(f)).containsOnlyKeys("a/one.xml", "META-INF/signatures001.xml");
    }

    @Test
    void aZipWithoutTheMimetypeFirstOrWithItCompressedOrWithAnEscapingNameIsRefused() throws Exception {
        assertThatThrownBy(() -> AsicE.read(zip("x", true, "mimetype", AsicE.MIME_TYPE))).hasMessageContaining("first entry is 'x'");
        assertThatThrownBy(() -> AsicE.read(zip("mimetype", false, "x", "y"))).hasMessageContaining("compressed");
        assertThatThrownBy(() -> AsicE.read(zip("mimetype", true, "../evil", "y"))).hasMessageContaining("not a plain relative path");
        assertThatThrownBy(() -> AsicE.read(Files.writeString(dir.resolve("text"), "not a zip"))).isInstanceOf(AsicE.NotAContainer.class);
    }

    /** A zip whose first entry is {@code first} (holding the mimetype text), stored or not, then one more entry. */
    private Path zip(String first, boolean stored, String second, String content) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            byte[] mime = AsicE.MIME_TYPE.getBytes(StandardCharsets.US_ASCII);
            ZipEntry e = new ZipEntry(first);
            if (stored) {
                e.setMethod(ZipEntry.STORED);
                e.setSize(mime.length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(mime);
                e.setCrc(crc.getValue());
            }
            z.putNextEntry(e);
            z.write(mime);
            z.closeEntry();
            z.putNextEntry(new ZipEntry(second));
            z.write(content.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        return Files.write(dir.resolve("z" + System.nanoTime() + ".zip"), out.toByteArray());
    }
}
