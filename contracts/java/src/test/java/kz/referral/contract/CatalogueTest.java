package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Catalogue (copied by hand from events.md) against the tables of events.md, read back. */
class CatalogueTest {
    static final Pattern ROW = Pattern.compile("^\\| `([A-Za-z]+)` \\| ([a-z, ]+) \\| (.+) \\|$");
    static final Pattern ATTRIBUTE = Pattern.compile("`([a-z_]+)`: ([^;`]+)");

    @Test
    void everyRowOfSectionThree() throws Exception {
        String text = Files.readString(ContractSchemas.contractRoot().resolve("contracts/events.md"));
        Map<String, Catalogue.EventType> fromText = new TreeMap<>();
        String section = text.substring(text.indexOf("## 3."), text.indexOf("## 4."));
        for (String line : section.split("\n")) {
            Matcher row = ROW.matcher(line);
            if (!row.matches()) {
                continue;
            }
            Map<String, List<String>> attributes = new LinkedHashMap<>();
            Matcher attribute = ATTRIBUTE.matcher(row.group(3));
            while (attribute.find()) {
                String codes = attribute.group(2).trim();
                attributes.put(attribute.group(1), codes.startsWith("a rule id") ? List.of(Catalogue.RULE_ID)
                        : List.of(codes.split(", ")));
            }
            fromText.put(row.group(1), new Catalogue.EventType(row.group(1),
                    new TreeSet<>(List.of(row.group(2).split(", "))), attributes));
        }
        assertEquals(Catalogue.TYPES.keySet(), fromText.keySet());
        for (Catalogue.EventType type : Catalogue.TYPES.values()) {
            Catalogue.EventType read = fromText.get(type.name());
            assertEquals(new TreeSet<>(type.emitters()), read.emitters(), type.name());
            assertEquals(type.attributes(), read.attributes(), type.name());
        }
        for (String type : Catalogue.TYPES.keySet()) {
            assertEquals(true, ContractSchemas.load().hasPayload(type), "a payload schema for " + type);
        }
    }

    @Test
    void agencyTypesAndRegions() throws Exception {
        String text = Files.readString(ContractSchemas.contractRoot().resolve("contracts/events.md"));
        String section = text.substring(text.indexOf("## 2."), text.indexOf("## 3."));
        Set<String> codes = new TreeSet<>();
        Matcher code = Pattern.compile("`([a-z-]+)`").matcher(section.substring(section.indexOf("):", section.indexOf("Region codes")),
                section.indexOf("An agency id may also")));
        while (code.find()) {
            codes.add(code.group(1));
        }
        codes.remove(Catalogue.NATIONAL);
        assertEquals(new TreeSet<>(Catalogue.REGIONS), codes);
        String types = section.substring(section.indexOf("Types:"), section.indexOf("Region codes"));
        Set<String> agencyTypes = new TreeSet<>();
        Matcher t = Pattern.compile("`([a-z]+)`").matcher(types);
        while (t.find()) {
            agencyTypes.add(t.group(1));
        }
        assertEquals(new TreeSet<>(Catalogue.AGENCY_TYPES), agencyTypes);
    }
}
