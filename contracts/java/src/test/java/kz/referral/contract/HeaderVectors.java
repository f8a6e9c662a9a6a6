package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DynamicNode;

/** Header grammar vectors (events.md v1.1): accepted events, refusals with the keys they name. */
final class HeaderVectors {
    private HeaderVectors() {}

    static boolean understands(Map<String, Object> vectors) {
        return vectors.containsKey("accepted") && vectors.containsKey("refused");
    }

    static List<DynamicNode> tests(Map<String, Object> vectors) {
        List<DynamicNode> tests = new ArrayList<>();
        for (String section : vectors.keySet()) {
            if (!Set.of("description", "accepted", "refused").contains(section)) {
                tests.add(dynamicTest("section " + section, () -> fail("header vectors: unknown section " + section)));
            }
        }
        for (Object item : EnvelopeVectors.list(vectors.get("accepted"))) {
            Map<String, Object> event = Json.object(item);
            tests.add(dynamicTest("accepted: " + event.get("event_type") + " " + event.get("event_id"),
                    () -> assertEquals(List.of(), HeaderGrammar.check(event))));
        }
        for (Object item : EnvelopeVectors.list(vectors.get("refused"))) {
            Map<String, Object> refusal = Json.object(item);
            tests.add(dynamicTest("refused: " + refusal.get("name"), () -> {
                assertEquals(Set.of("name", "event", "refused_keys"), refusal.keySet(), "a refusal's fields");
                List<HeaderGrammar.Problem> problems = HeaderGrammar.check(Json.object(refusal.get("event")));
                assertTrue(!problems.isEmpty(), "accepted");
                assertEquals(new TreeSet<>(EnvelopeVectors.list(refusal.get("refused_keys"))),
                        new TreeSet<Object>(HeaderGrammar.refusedKeys(problems)), problems.toString());
            }));
        }
        return tests;
    }
}
