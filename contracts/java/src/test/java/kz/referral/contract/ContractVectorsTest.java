package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every file of contracts/vectors/*.json, by its shape: an envelope vector file (keys, schemas,
 * certificates, an envelope that must verify and open, changed copies with the reason each must
 * produce), header grammar vectors (events.md), or replay vectors (lifecycle-and-deadlines.md,
 * of which this library implements the header grammar only). A file or a section of a shape
 * this suite does not know fails: new vectors are never skipped silently.
 */
class ContractVectorsTest {
    static final Path VECTORS = ContractSchemas.contractRoot().resolve("contracts").resolve("vectors");

    @TestFactory
    Stream<DynamicNode> everyVectorFile() throws IOException {
        List<DynamicNode> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(VECTORS)) {
            for (Path file : (Iterable<Path>) listing.filter(p -> p.toString().endsWith(".json")).sorted()::iterator) {
                Map<String, Object> vectors = Json.object(Json.read(file));
                String name = file.getFileName().toString();
                List<DynamicNode> tests;
                if (EnvelopeVectors.understands(vectors)) {
                    tests = new EnvelopeVectors(name, vectors).tests();
                } else if (EnvelopeVectorsV11.understands(vectors)) {
                    tests = new EnvelopeVectorsV11(name, vectors).tests();
                } else if (HeaderVectors.understands(vectors)) {
                    tests = HeaderVectors.tests(vectors);
                } else if (ReplayVectors.understands(vectors)) {
                    tests = ReplayVectors.tests(vectors);
                } else {
                    tests = List.of(DynamicTest.dynamicTest("shape", () -> fail(name
                            + ": a vector file of a shape this suite does not know (keys " + vectors.keySet() + ")")));
                }
                files.add(org.junit.jupiter.api.DynamicContainer.dynamicContainer(name, tests));
            }
        }
        assertFalse(files.isEmpty(), "no vector files under " + VECTORS);
        return files.stream();
    }

    static void assertRefused(Reason expected, ThrowingRead read, String what) {
        try {
            EnvelopeReader.Opened opened = read.run();
            fail(what + ": accepted, expected " + expected.code() + " (event " + opened.header().get("event_id") + ")");
        } catch (Rejected rejected) {
            assertEquals(expected.code(), rejected.reason().code(), what + ": " + rejected.getMessage());
        }
    }

    /** A read that may refuse. */
    interface ThrowingRead {
        EnvelopeReader.Opened run() throws Rejected;
    }

    static void assertNotRefused(ThrowingRead read, String what) {
        try {
            assertNotNull(read.run());
        } catch (Rejected rejected) {
            fail(what + ": refused " + rejected.getMessage());
        }
    }
}
