package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DynamicNode;

/**
 * Replay vectors (lifecycle-and-deadlines.md). This library implements the envelope and the
 * header grammar, not the lifecycle or the deadlines: from these vectors it checks what is its
 * own, that every event of every case obeys the header grammar (the replay refuses them by the
 * lifecycle, never by grammar), and that of a malformed file's lines those the grammar refuses
 * are reported bad and every line it accepts that is not a repeat is not.
 */
final class ReplayVectors {
    private ReplayVectors() {}

    static boolean understands(Map<String, Object> vectors) {
        return vectors.containsKey("cases") && vectors.containsKey("malformed");
    }

    static List<DynamicNode> tests(Map<String, Object> vectors) {
        List<DynamicNode> tests = new ArrayList<>();
        for (String section : vectors.keySet()) {
            if (!Set.of("description", "cases", "malformed").contains(section)) {
                tests.add(dynamicTest("section " + section, () -> fail("replay vectors: unknown section " + section)));
            }
        }
        for (Object item : EnvelopeVectors.list(vectors.get("cases"))) {
            Map<String, Object> replay = Json.object(item);
            tests.add(dynamicTest("case " + replay.get("name") + ": every event obeys the header grammar", () -> {
                assertTrue(replay.containsKey("events") && replay.containsKey("expected"), "a case has events and expected");
                for (Object event : EnvelopeVectors.list(replay.get("events"))) {
                    assertEquals(List.of(), HeaderGrammar.check(Json.object(event)), String.valueOf(Json.object(event).get("event_id")));
                }
            }));
        }
        for (Object item : EnvelopeVectors.list(vectors.get("malformed"))) {
            Map<String, Object> replay = Json.object(item);
            tests.add(dynamicTest("malformed " + replay.get("name") + ": lines the grammar refuses are reported", () -> {
                List<Object> lines = EnvelopeVectors.list(replay.get("lines"));
                List<Object> bad = EnvelopeVectors.list(replay.get("bad_lines"));
                Set<Object> ids = new java.util.HashSet<>();
                for (int i = 0; i < lines.size(); i++) {
                    int number = i + 1;
                    String line = (String) lines.get(i);
                    if (line.isBlank()) {
                        assertTrue(!bad.contains(number), "a blank line is ignored");
                        continue;
                    }
                    Object parsed;
                    try {
                        parsed = Json.parse(line);
                    } catch (IllegalArgumentException e) {
                        assertTrue(bad.contains(number), "line " + number + " is not JSON but not reported");
                        continue;
                    }
                    boolean refused = !(parsed instanceof Map) || !HeaderGrammar.check(Json.object(parsed)).isEmpty();
                    boolean repeat = parsed instanceof Map && !ids.add(Json.object(parsed).get("event_id"));
                    if (refused) {
                        assertTrue(bad.contains(number), "line " + number + " is refused by the grammar but not reported");
                    } else if (!repeat) {
                        assertTrue(!bad.contains(number), "line " + number + " obeys the grammar but is reported");
                    }
                }
            }));
        }
        return tests;
    }
}
