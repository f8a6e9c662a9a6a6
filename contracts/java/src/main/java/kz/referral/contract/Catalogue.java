package kz.referral.contract;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * contracts/events.md, sections 2 and 3: agency types, region codes, and per event type who may
 * emit it and its attributes with their closed code lists. Copied from the contract's tables;
 * CatalogueTest reads the tables back from events.md and compares.
 */
public final class Catalogue {
    /** An attribute whose value is a rule id (1-64 characters [a-z0-9-]), not a code from a list. */
    public static final String RULE_ID = "<rule id>";

    public static final Set<String> AGENCY_TYPES = Set.of(
            "police", "ngo", "guardianship", "phc", "school", "social", "mobile", "hotline", "centre",
            "audit", "supervisor");

    public static final Set<String> REGIONS = Set.of(
            "abai", "akmola", "aktobe", "almaty-region", "atyrau", "east-kazakhstan", "jambyl", "jetisu",
            "karaganda", "kostanay", "kyzylorda", "mangystau", "north-kazakhstan", "pavlodar", "turkestan",
            "ulytau", "west-kazakhstan", "astana", "almaty", "shymkent");

    /** An agency id's region part may also be this; a header's region may not. */
    public static final String NATIONAL = "national";

    /** One row of the catalogue. */
    public record EventType(String name, Set<String> emitters, Map<String, List<String>> attributes) {}

    private static final List<String> CASEWORK = List.of(
            "centre", "guardianship", "hotline", "mobile", "ngo", "phc", "police", "school", "social");

    public static final Map<String, EventType> TYPES = build();

    private Catalogue() {}

    private static Map<String, EventType> build() {
        Map<String, EventType> t = new TreeMap<>();
        add(t, "ChildIdentified", CASEWORK,
                "accompanied", List.of("false", "true"),
                "age_band", List.of("0-3", "14-17", "4-6", "7-13"),
                "setting", List.of("hotline", "ngo", "other", "phc", "police", "raid", "school"));
        add(t, "RiskAssessed", List.of("ngo", "phc", "school", "social"),
                "risk_level", List.of("high", "low", "moderate"));
        add(t, "ReferralIssued", CASEWORK,
                "kind", List.of("education_enrolment", "guardianship_notification", "health_services",
                        "hotline_alert", "identification_assessment", "other", "placement", "police_notification",
                        "return_support", "service_permission", "victim_services"));
        add(t, "ReferralReceived", CASEWORK);
        add(t, "ReferralAccepted", CASEWORK);
        add(t, "ReferralDeclined", CASEWORK,
                "reason", List.of("child_not_found", "consent_refused", "duplicate_referral", "no_capacity",
                        "not_in_mandate", "other", "wrong_region"));
        add(t, "ReferralCompleted", CASEWORK,
                "outcome", List.of("child_placed", "other", "referred_onward", "refused_by_family", "returned_home",
                        "services_delivered"));
        add(t, "ReferralWithdrawn", CASEWORK,
                "reason", List.of("child_moved", "family_found", "issued_in_error", "other", "resolved_otherwise",
                        "unreadable", "wrong_region"));
        add(t, "EnvelopeUnreadable", concat(CASEWORK, "supervisor"),
                "reason", List.of("ciphertext_damaged", "payload_invalid", "reader_key_missing"));
        add(t, "ServiceApplicationReceived", List.of("centre", "ngo", "social"),
                "funding", List.of("international", "state"),
                "via", List.of("police", "self", "social"));
        add(t, "VictimStatusAssessed", List.of("centre", "ngo", "police", "social"),
                "outcome", List.of("not_recognized", "recognized"),
                "path", List.of("police", "provider"));
        add(t, "PlacementMade", List.of("centre", "guardianship"),
                "facility", List.of("adaptation_centre", "baby_home", "family", "foster_family", "support_centre"));
        add(t, "ChildStatusDetermined", List.of("centre", "guardianship"));
        add(t, "ServiceContractSigned", List.of("centre", "ngo"));
        add(t, "ServiceContractExtended", List.of("centre", "ngo"),
                "months", List.of("1", "2", "3"),
                "reason", List.of("criminal_case_open", "inpatient_treatment"));
        add(t, "ServiceContractEnded", List.of("centre", "ngo"),
                "reason", List.of("conditions_breached", "goals_achieved", "other", "recipient_request", "term_expired"));
        add(t, "ServiceDelivered", List.of("centre", "ngo", "phc", "school"),
                "service_type", List.of("cultural", "economic", "household", "labour", "legal", "medical",
                        "pedagogical", "psychological"));
        add(t, "ConsentRecorded", CASEWORK,
                "decision", List.of("granted", "refused", "withdrawn"),
                "scope", List.of("data_sharing", "medical_examination", "police_notification", "return_home", "services"));
        add(t, "ChildReturnedHome", List.of("centre", "guardianship", "ngo", "social"),
                "destination", List.of("abroad", "in_country"));
        add(t, "FollowUpRecorded", List.of("centre", "guardianship", "ngo", "social"),
                "status", List.of("at_risk", "not_found", "safe"));
        add(t, "CaseClosed", CASEWORK,
                "reason", List.of("came_of_age", "child_moved", "no_protection_need", "other", "placed_in_family",
                        "returned_home", "transferred"));
        add(t, "SlaBreached", List.of("audit"), "level", List.of("1", "2"), "rule", List.of(RULE_ID));
        add(t, "SlaBreachResolved", List.of("audit"), "level", List.of("1", "2"), "rule", List.of(RULE_ID));
        return Map.copyOf(t);
    }

    private static List<String> concat(List<String> list, String more) {
        return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(more)).toList();
    }

    @SuppressWarnings("unchecked")
    private static void add(Map<String, EventType> into, String name, List<String> emitters, Object... attributes) {
        Map<String, List<String>> attrs = new LinkedHashMap<>();
        for (int i = 0; i < attributes.length; i += 2) {
            attrs.put((String) attributes[i], (List<String>) attributes[i + 1]);
        }
        into.put(name, new EventType(name, Set.copyOf(emitters), attrs));
    }

    /** The audit's output on audit.sla.v1; refused on referral.events.v1 whoever signed it. */
    public static boolean isSlaEvent(String eventType) {
        return "SlaBreached".equals(eventType) || "SlaBreachResolved".equals(eventType);
    }

    /** Every {@code Referral*} type: its header must carry a referral_id. */
    public static boolean isReferralType(String eventType) {
        return eventType.startsWith("Referral");
    }
}
