package kz.referral.contract;

import java.util.HexFormat;

/** Lower-case hex, as the vectors and {@code directory.json} write bytes. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    public static byte[] decode(String hex) {
        return HEX.parseHex(hex);
    }

    public static String encode(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
