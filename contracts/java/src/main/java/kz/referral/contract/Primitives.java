package kz.referral.contract;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The primitives of contracts/envelope.md, section 1, with their libsodium names, built on
 * Bouncy Castle (pure Java). Bouncy Castle has Ed25519, X25519, BLAKE2b, XSalsa20, Poly1305 and
 * the IETF ChaCha20-Poly1305 AEAD; the two pieces libsodium adds on top (HSalsa20 for
 * {@code crypto_box}, HChaCha20 for the X variant of the AEAD) are written out here, and the
 * vectors check both.
 */
public final class Primitives {
    public static final byte[] ENVELOPE_DOMAIN = domain("kz-referral-envelope/v1");
    public static final byte[] BODY_DOMAIN = domain("kz-referral-envelope-body/v1");
    public static final byte[] CERTIFICATE_DOMAIN = domain("kz-referral-certificate/v1");
    public static final byte[] DIGEST_DOMAIN = domain("kz-referral-event-content/v1");

    public static final int KEY_ID_BYTES = 16;
    public static final int SEALED_KEY_BYTES = 80;
    public static final int CONTENT_KEY_BYTES = 32;
    public static final int NONCE_BYTES = 24;
    public static final int SIGNATURE_BYTES = 64;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int[] SIGMA = littleEndianWords("expand 32-byte k".getBytes(StandardCharsets.US_ASCII));

    private Primitives() {}

    private static byte[] domain(String name) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(ascii, ascii.length + 1); // then one zero byte
    }

    public static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    /** {@code randombytes_buf}. */
    public static byte[] random(int length) {
        byte[] out = new byte[length];
        RANDOM.nextBytes(out);
        return out;
    }

    // ---- BLAKE2b: key ids and the content digest -------------------------------------------

    /** {@code crypto_generichash(out, size, data, NULL, 0)}: no key, salt or personalisation. */
    public static byte[] blake2b(int size, byte[]... parts) {
        Blake2bDigest digest = new Blake2bDigest(size * 8);
        for (byte[] part : parts) {
            digest.update(part, 0, part.length);
        }
        byte[] out = new byte[size];
        digest.doFinal(out, 0);
        return out;
    }

    /** The key id of a 32-byte public key: BLAKE2b, 16-byte digest. */
    public static byte[] keyId(byte[] publicKey) {
        return blake2b(KEY_ID_BYTES, publicKey);
    }

    // ---- Ed25519 ---------------------------------------------------------------------------

    public static byte[] ed25519PublicKey(byte[] seed) {
        return new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
    }

    /** {@code crypto_sign_detached}: a 64-byte signature of {@code message}. */
    public static byte[] sign(byte[] seed, byte[] message) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, new Ed25519PrivateKeyParameters(seed, 0));
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    /** {@code crypto_sign_verify_detached}. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey.length != 32 || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    // ---- X25519 sealed boxes ---------------------------------------------------------------

    /** {@code crypto_scalarmult_base}: the X25519 public key of a 32-byte secret. */
    public static byte[] x25519PublicKey(byte[] secret) {
        byte[] out = new byte[32];
        X25519.scalarMultBase(secret, 0, out, 0);
        return out;
    }

    /**
     * {@code crypto_box_seal}: an ephemeral X25519 key pair, nonce = BLAKE2b-192(ephemeral pk ‖
     * recipient pk), {@code crypto_box} (XSalsa20-Poly1305 under HSalsa20 of the shared secret);
     * out = ephemeral pk ‖ tag ‖ ciphertext, 32 + 16 + message bytes.
     */
    public static byte[] seal(byte[] message, byte[] recipientPublicKey) {
        return seal(message, recipientPublicKey, random(32));
    }

    /** As {@link #seal(byte[], byte[])} with the ephemeral secret given (test vectors). */
    public static byte[] seal(byte[] message, byte[] recipientPublicKey, byte[] ephemeralSecret) {
        byte[] ephemeralPublic = x25519PublicKey(ephemeralSecret);
        byte[] nonce = blake2b(24, ephemeralPublic, recipientPublicKey);
        byte[] key = boxKey(ephemeralSecret, recipientPublicKey);
        if (key == null) {
            throw new IllegalArgumentException("the recipient's X25519 public key is a low-order point");
        }
        return concat(ephemeralPublic, secretbox(message, nonce, key));
    }

    /** {@code crypto_box_seal_open}; null if the box does not open with this key pair. */
    public static byte[] sealOpen(byte[] sealed, byte[] recipientPublicKey, byte[] recipientSecret) {
        if (sealed.length < 48) {
            return null;
        }
        byte[] ephemeralPublic = Arrays.copyOfRange(sealed, 0, 32);
        byte[] nonce = blake2b(24, ephemeralPublic, recipientPublicKey);
        byte[] key = boxKey(recipientSecret, ephemeralPublic);
        if (key == null) {
            return null;
        }
        return secretboxOpen(Arrays.copyOfRange(sealed, 32, sealed.length), nonce, key);
    }

    /** {@code crypto_box_beforenm}: HSalsa20(X25519(secret, public), zero nonce); null for a zero secret. */
    private static byte[] boxKey(byte[] secret, byte[] publicKey) {
        byte[] shared = new byte[32];
        if (!X25519.calculateAgreement(secret, 0, publicKey, 0, shared, 0)) {
            return null;
        }
        return hsalsa20(shared, new byte[16]);
    }

    /** {@code crypto_secretbox_easy} (XSalsa20-Poly1305): tag ‖ ciphertext. */
    static byte[] secretbox(byte[] message, byte[] nonce, byte[] key) {
        XSalsa20Engine stream = new XSalsa20Engine();
        stream.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] macKey = new byte[32];
        stream.processBytes(new byte[32], 0, 32, macKey, 0);
        byte[] ciphertext = new byte[message.length];
        stream.processBytes(message, 0, message.length, ciphertext, 0);
        return concat(poly1305(macKey, ciphertext), ciphertext);
    }

    static byte[] secretboxOpen(byte[] boxed, byte[] nonce, byte[] key) {
        if (boxed.length < 16) {
            return null;
        }
        XSalsa20Engine stream = new XSalsa20Engine();
        stream.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] macKey = new byte[32];
        stream.processBytes(new byte[32], 0, 32, macKey, 0);
        byte[] ciphertext = Arrays.copyOfRange(boxed, 16, boxed.length);
        if (!MessageDigest.isEqual(poly1305(macKey, ciphertext), Arrays.copyOfRange(boxed, 0, 16))) {
            return null;
        }
        byte[] message = new byte[ciphertext.length];
        stream.processBytes(ciphertext, 0, ciphertext.length, message, 0);
        return message;
    }

    private static byte[] poly1305(byte[] key, byte[] message) {
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(key));
        mac.update(message, 0, message.length);
        byte[] tag = new byte[16];
        mac.doFinal(tag, 0);
        return tag;
    }

    // ---- XChaCha20-Poly1305 IETF -----------------------------------------------------------

    /**
     * {@code crypto_aead_xchacha20poly1305_ietf_encrypt}: the IETF ChaCha20-Poly1305 AEAD under
     * the subkey HChaCha20(key, nonce[0:16]) with the 12-byte nonce 0000 ‖ nonce[16:24];
     * ciphertext ‖ 16-byte tag.
     */
    public static byte[] aeadEncrypt(byte[] plaintext, byte[] associatedData, byte[] nonce, byte[] key) {
        return aead(true, plaintext, associatedData, nonce, key);
    }

    /** Decrypts and authenticates; null if the tag does not verify. */
    public static byte[] aeadDecrypt(byte[] ciphertext, byte[] associatedData, byte[] nonce, byte[] key) {
        if (ciphertext.length < 16) {
            return null;
        }
        return aead(false, ciphertext, associatedData, nonce, key);
    }

    private static byte[] aead(boolean encrypt, byte[] input, byte[] ad, byte[] nonce, byte[] key) {
        if (nonce.length != NONCE_BYTES || key.length != CONTENT_KEY_BYTES) {
            throw new IllegalArgumentException("XChaCha20-Poly1305 takes a 32-byte key and a 24-byte nonce");
        }
        byte[] subkey = hchacha20(key, Arrays.copyOfRange(nonce, 0, 16));
        byte[] ietfNonce = new byte[12];
        System.arraycopy(nonce, 16, ietfNonce, 4, 8);
        ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
        cipher.init(encrypt, new AEADParameters(new KeyParameter(subkey), 128, ietfNonce, ad));
        byte[] out = new byte[cipher.getOutputSize(input.length)];
        int written = cipher.processBytes(input, 0, input.length, out, 0);
        try {
            written += cipher.doFinal(out, written);
        } catch (InvalidCipherTextException e) {
            return null;
        }
        return written == out.length ? out : Arrays.copyOf(out, written);
    }

    // ---- HSalsa20 and HChaCha20 (libsodium's crypto_core_hsalsa20 / crypto_core_hchacha20) --

    static byte[] hsalsa20(byte[] key, byte[] nonce16) {
        int[] k = littleEndianWords(key);
        int[] n = littleEndianWords(nonce16);
        int[] x = {
            SIGMA[0], k[0], k[1], k[2],
            k[3], SIGMA[1], n[0], n[1],
            n[2], n[3], SIGMA[2], k[4],
            k[5], k[6], k[7], SIGMA[3],
        };
        for (int i = 0; i < 10; i++) {
            x[4] ^= Integer.rotateLeft(x[0] + x[12], 7);
            x[8] ^= Integer.rotateLeft(x[4] + x[0], 9);
            x[12] ^= Integer.rotateLeft(x[8] + x[4], 13);
            x[0] ^= Integer.rotateLeft(x[12] + x[8], 18);
            x[9] ^= Integer.rotateLeft(x[5] + x[1], 7);
            x[13] ^= Integer.rotateLeft(x[9] + x[5], 9);
            x[1] ^= Integer.rotateLeft(x[13] + x[9], 13);
            x[5] ^= Integer.rotateLeft(x[1] + x[13], 18);
            x[14] ^= Integer.rotateLeft(x[10] + x[6], 7);
            x[2] ^= Integer.rotateLeft(x[14] + x[10], 9);
            x[6] ^= Integer.rotateLeft(x[2] + x[14], 13);
            x[10] ^= Integer.rotateLeft(x[6] + x[2], 18);
            x[3] ^= Integer.rotateLeft(x[15] + x[11], 7);
            x[7] ^= Integer.rotateLeft(x[3] + x[15], 9);
            x[11] ^= Integer.rotateLeft(x[7] + x[3], 13);
            x[15] ^= Integer.rotateLeft(x[11] + x[7], 18);
            x[1] ^= Integer.rotateLeft(x[0] + x[3], 7);
            x[2] ^= Integer.rotateLeft(x[1] + x[0], 9);
            x[3] ^= Integer.rotateLeft(x[2] + x[1], 13);
            x[0] ^= Integer.rotateLeft(x[3] + x[2], 18);
            x[6] ^= Integer.rotateLeft(x[5] + x[4], 7);
            x[7] ^= Integer.rotateLeft(x[6] + x[5], 9);
            x[4] ^= Integer.rotateLeft(x[7] + x[6], 13);
            x[5] ^= Integer.rotateLeft(x[4] + x[7], 18);
            x[11] ^= Integer.rotateLeft(x[10] + x[9], 7);
            x[8] ^= Integer.rotateLeft(x[11] + x[10], 9);
            x[9] ^= Integer.rotateLeft(x[8] + x[11], 13);
            x[10] ^= Integer.rotateLeft(x[9] + x[8], 18);
            x[12] ^= Integer.rotateLeft(x[15] + x[14], 7);
            x[13] ^= Integer.rotateLeft(x[12] + x[15], 9);
            x[14] ^= Integer.rotateLeft(x[13] + x[12], 13);
            x[15] ^= Integer.rotateLeft(x[14] + x[13], 18);
        }
        return littleEndianBytes(x[0], x[5], x[10], x[15], x[6], x[7], x[8], x[9]);
    }

    static byte[] hchacha20(byte[] key, byte[] nonce16) {
        int[] k = littleEndianWords(key);
        int[] n = littleEndianWords(nonce16);
        int[] x = {
            SIGMA[0], SIGMA[1], SIGMA[2], SIGMA[3],
            k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7],
            n[0], n[1], n[2], n[3],
        };
        for (int i = 0; i < 10; i++) {
            quarterRound(x, 0, 4, 8, 12);
            quarterRound(x, 1, 5, 9, 13);
            quarterRound(x, 2, 6, 10, 14);
            quarterRound(x, 3, 7, 11, 15);
            quarterRound(x, 0, 5, 10, 15);
            quarterRound(x, 1, 6, 11, 12);
            quarterRound(x, 2, 7, 8, 13);
            quarterRound(x, 3, 4, 9, 14);
        }
        return littleEndianBytes(x[0], x[1], x[2], x[3], x[12], x[13], x[14], x[15]);
    }

    private static void quarterRound(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int[] littleEndianWords(byte[] bytes) {
        int[] words = new int[bytes.length / 4];
        for (int i = 0; i < words.length; i++) {
            words[i] = (bytes[4 * i] & 0xff)
                    | (bytes[4 * i + 1] & 0xff) << 8
                    | (bytes[4 * i + 2] & 0xff) << 16
                    | (bytes[4 * i + 3] & 0xff) << 24;
        }
        return words;
    }

    private static byte[] littleEndianBytes(int... words) {
        byte[] out = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            out[4 * i] = (byte) words[i];
            out[4 * i + 1] = (byte) (words[i] >>> 8);
            out[4 * i + 2] = (byte) (words[i] >>> 16);
            out[4 * i + 3] = (byte) (words[i] >>> 24);
        }
        return out;
    }
}
