package org.liaison.protocol.stream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Throughput of the payload stream cipher against two baselines: plain JCA AES-256-GCM over
 * one buffer (the target), and the same primitive segment by segment. Each operation processes {@value #SIZE_MIB} MiB; multiply ops/s by
 * that for MiB/s. Run with {@code scripts/bench-payload-cipher}, which prints the ratios.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PayloadCipherBenchmark {
    static final int SIZE_MIB = 32;

    @Param({"65536", "262144", "1048576"})
    public int segmentSize;

    private byte[] plain;
    private byte[] sealedOneBuffer;
    private byte[] streamCiphertext;
    private byte[] sink;
    private SecretKey key;
    private Cipher cipher;
    private final byte[] nonce = new byte[12];
    private long counter;

    @Setup
    public void setup() throws Exception {
        plain = new byte[SIZE_MIB << 20];
        new Random(1).nextBytes(plain);
        KeyGenerator g = KeyGenerator.getInstance("AES");
        g.init(256);
        key = g.generateKey();
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        sealedOneBuffer = new byte[plain.length + 16];
        ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length + 4096);
        try (OutputStream enc = PayloadCipher.encrypt(key, 0, segmentSize, out)) {
            enc.write(plain);
        }
        streamCiphertext = out.toByteArray();
        sink = new byte[64 << 10];
    }

    /** Baseline: one Cipher.doFinal over the whole buffer (a fresh nonce each time, as real use needs). */
    @Benchmark
    public int oneBufferGcmEncrypt() throws Exception {
        counter++;
        nonce[0] = (byte) counter;
        nonce[1] = (byte) (counter >>> 8);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        return cipher.doFinal(plain, 0, plain.length, sealedOneBuffer, 0);
    }

    /**
     * Second baseline: the same primitive segment by segment (one init and doFinal per segment,
     * no streams, no key derivation) — what the STREAM layout costs at least.
     */
    @Benchmark
    public int segmentedGcmEncrypt() throws Exception {
        int written = 0;
        for (int off = 0, seg = 0; off < plain.length; off += segmentSize, seg++) {
            nonce[8] = (byte) seg;
            nonce[9] = (byte) (seg >>> 8);
            nonce[7] = (byte) counter++;
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            written += cipher.doFinal(plain, off, Math.min(segmentSize, plain.length - off), sealedOneBuffer, 0);
        }
        return written;
    }

    @Benchmark
    public long streamEncrypt() throws IOException {
        CountingSink out = new CountingSink();
        try (OutputStream enc = PayloadCipher.encrypt(key, 0, segmentSize, out)) {
            enc.write(plain);
        }
        return out.count;
    }

    @Benchmark
    public long streamDecrypt() throws IOException {
        long total = 0;
        try (InputStream in = PayloadCipher.decrypt(key, 0, new ByteArrayInputStream(streamCiphertext))) {
            int n;
            while ((n = in.read(sink)) > 0) {
                total += n;
            }
        }
        return total;
    }

    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
