package org.liaison.gateway.evidence;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * ASiC-E containers (ETSI EN 319 162-1): a ZIP whose first entry is {@code mimetype}, stored (not
 * compressed), holding {@value #MIME_TYPE}; the signatures in {@code META-INF/}. Reading checks that shape
 * and refuses names that could escape a folder, duplicates, and more than {@value #MAX_ENTRIES} entries or
 * {@value #MAX_BYTES} bytes in all.
 */
public final class AsicE {
    public static final String MIME_TYPE = "application/vnd.etsi.asic-e+zip";
    public static final String MIMETYPE = "mimetype";
    public static final String SIGNATURES = "META-INF/signatures001.xml";
    public static final int MAX_ENTRIES = 10_000;
    public static final long MAX_BYTES = 1L << 30;

    private AsicE() {}

    /** Writes the container: mimetype first and stored, then {@code entries} in order (deflated). */
    public static byte[] write(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
            byte[] mime = MIME_TYPE.getBytes(StandardCharsets.US_ASCII);
            ZipEntry m = new ZipEntry(MIMETYPE);
            m.setMethod(ZipEntry.STORED);
            m.setSize(mime.length);
            m.setCompressedSize(mime.length);
            CRC32 crc = new CRC32();
            crc.update(mime);
            m.setCrc(crc.getValue());
            zip.putNextEntry(m);
            zip.write(mime);
            zip.closeEntry();
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** A container that is not one, or not readable: what is wrong, in one sentence. */
    public static final class NotAContainer extends IOException {
        public NotAContainer(String message) {
            super(message);
        }
    }

    /** Reads a container's entries (the mimetype entry left out) after checking its shape. */
    public static Map<String, byte[]> read(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new NotAContainer(file + " is larger than " + MAX_BYTES + " bytes");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        long total = 0;
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
            ZipEntry first = zip.getNextEntry();
            if (first == null || !MIMETYPE.equals(first.getName())) {
                throw new NotAContainer("the first entry is " + (first == null ? "missing" : "'" + first.getName() + "'")
                        + " (expected: mimetype, as ETSI EN 319 162-1 requires)");
            }
            if (first.getMethod() != ZipEntry.STORED) {
                throw new NotAContainer("the mimetype entry is compressed (expected: stored)");
            }
            String mime = new String(zip.readNBytes(256), StandardCharsets.US_ASCII);
            if (!MIME_TYPE.equals(mime)) {
                throw new NotAContainer("the mimetype is '" + mime + "' (expected: " + MIME_TYPE + ")");
            }
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName();
                if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("..") || name.chars().anyMatch(c -> c < 0x20)) {
                    throw new NotAContainer("entry name '" + name.replaceAll("\\p{Cntrl}", "?") + "' is not a plain relative path");
                }
                if (e.isDirectory()) {
                    continue;
                }
                if (out.size() >= MAX_ENTRIES) {
                    throw new NotAContainer("more than " + MAX_ENTRIES + " entries");
                }
                byte[] b = zip.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_BYTES - total + 1));
                total += b.length;
                if (total > MAX_BYTES) {
                    throw new NotAContainer("more than " + MAX_BYTES + " bytes once unpacked");
                }
                if (out.put(name, b) != null || MIMETYPE.equals(name)) {
                    throw new NotAContainer("entry '" + name + "' appears twice");
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new NotAContainer("not a readable ZIP file: " + e.getMessage());
        }
        return out;
    }
}
