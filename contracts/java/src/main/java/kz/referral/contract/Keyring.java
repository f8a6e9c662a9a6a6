package kz.referral.contract;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One agency's private keys, every generation it still holds: Ed25519 signing seeds and X25519
 * encryption secrets (two separate pairs per generation, no conversion between them).
 */
public final class Keyring {
    /** One Ed25519 key: seed, public key, key id. */
    public record SigningKey(byte[] seed, byte[] publicKey, byte[] keyId) {}

    private final String agency;
    private final List<SigningKey> signing = new ArrayList<>();
    private final Map<String, byte[]> encryptionSecrets = new HashMap<>();
    private final Map<String, byte[]> encryptionPublicKeys = new HashMap<>();

    public Keyring(String agency) {
        this.agency = agency;
    }

    public String agency() {
        return agency;
    }

    /** Adds one key generation: a 32-byte Ed25519 seed and a 32-byte X25519 secret. */
    public Keyring add(byte[] signingSeed, byte[] encryptionSecret) {
        if (signingSeed != null) {
            byte[] publicKey = Primitives.ed25519PublicKey(signingSeed);
            signing.add(new SigningKey(signingSeed.clone(), publicKey, Primitives.keyId(publicKey)));
        }
        if (encryptionSecret != null) {
            byte[] publicKey = Primitives.x25519PublicKey(encryptionSecret);
            String id = Hex.encode(Primitives.keyId(publicKey));
            encryptionSecrets.put(id, encryptionSecret.clone());
            encryptionPublicKeys.put(id, publicKey);
        }
        return this;
    }

    public List<SigningKey> signingKeys() {
        return List.copyOf(signing);
    }

    /** The X25519 secret for an encryption key id (envelope check 13), with its public key. */
    public Optional<byte[][]> encryptionKey(byte[] keyId) {
        String id = Hex.encode(keyId);
        byte[] secret = encryptionSecrets.get(id);
        return secret == null ? Optional.empty() : Optional.of(new byte[][] {encryptionPublicKeys.get(id), secret});
    }
}
