package kz.referral.contract;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header grammar of contracts/events.md v1.1, section 1 (one event in its plain JSON form):
 * every problem of an event, each naming the key it concerns and the rule, never the value.
 */
public final class HeaderGrammar {
    /** One refused key with the rule it breaks. */
    public record Problem(String key, String rule) {
        @Override
        public String toString() {
            return key + ": " + rule;
        }
    }

    public static final List<String> KEYS = List.of(
            "event_id", "event_type", "occurred_at", "producer", "child_ref", "recipients", "region",
            "attributes", "referral_id", "causation_id", "correlation_id", "payload");
    private static final List<String> REQUIRED = KEYS.subList(0, 8);

    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern CHILD_REF = Pattern.compile("c-[0-9a-f]{12,32}");
    private static final Pattern REFERRAL_ID = Pattern.compile("r-[0-9a-f]{12,32}");
    private static final Pattern ID_PART = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    private static final Pattern RULE_ID = Pattern.compile("[a-z0-9-]{1,64}");
    private static final Pattern TIME = Pattern.compile(
            "([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\\.([0-9]{1,6}))?"
                    + "(Z|([+-])([0-9]{2}):([0-9]{2}))");

    private HeaderGrammar() {}

    /** Every problem of one event (empty: accepted). */
    public static List<Problem> check(Map<String, ?> event) {
        List<Problem> problems = new ArrayList<>();
        for (String key : event.keySet()) {
            if (!KEYS.contains(key)) {
                problems.add(new Problem("event", "unknown key (the keys are those of events.md, section 1)"));
                break;
            }
        }
        for (String key : REQUIRED) {
            if (event.get(key) == null) {
                problems.add(new Problem(key, "required"));
            }
        }
        Object eventId = event.get("event_id");
        if (eventId != null && !isUuid(eventId)) {
            problems.add(new Problem("event_id", "not a canonical lower-case UUID"));
        }
        Object typeName = event.get("event_type");
        Catalogue.EventType type = typeName instanceof String ? Catalogue.TYPES.get(typeName) : null;
        if (typeName != null && type == null) {
            problems.add(new Problem("event_type", "not an event type of the catalogue"));
        }
        Object occurredAt = event.get("occurred_at");
        if (occurredAt != null && !(occurredAt instanceof String && epochMicros((String) occurredAt) != null)) {
            problems.add(new Problem("occurred_at", "not YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM), a real time"));
        }
        Object producer = event.get("producer");
        boolean producerOk = producer instanceof String && isAgencyId((String) producer);
        if (producer != null && !producerOk) {
            problems.add(new Problem("producer", "not an agency id"));
        }
        Object childRef = event.get("child_ref");
        if (childRef != null && !(childRef instanceof String && CHILD_REF.matcher((String) childRef).matches())) {
            problems.add(new Problem("child_ref", "not a minted child_ref (c- and 12 to 32 lower-case hex digits)"));
        }
        Object region = event.get("region");
        if (region != null && !(region instanceof String && Catalogue.REGIONS.contains(region))) {
            problems.add(new Problem("region", "not one of the 20 region codes"));
        }
        checkRecipients(event.get("recipients"), producerOk ? (String) producer : null, type, problems);
        checkAttributes(event.get("attributes"), type, problems);
        Object referralId = event.get("referral_id");
        if (referralId != null) {
            if (!(referralId instanceof String && REFERRAL_ID.matcher((String) referralId).matches())) {
                problems.add(new Problem("referral_id", "not a minted referral_id (r- and 12 to 32 lower-case hex digits)"));
            }
        } else if (type != null && Catalogue.isReferralType(type.name())) {
            problems.add(new Problem("referral_id", "required for every Referral* type"));
        }
        Object causationId = event.get("causation_id");
        if (causationId != null) {
            if (!isUuid(causationId)) {
                problems.add(new Problem("causation_id", "not a canonical lower-case UUID"));
            }
        } else if (type != null && type.name().equals("EnvelopeUnreadable")) {
            problems.add(new Problem("causation_id", "required for EnvelopeUnreadable"));
        }
        Object correlationId = event.get("correlation_id");
        if (correlationId != null && !isUuid(correlationId)) {
            problems.add(new Problem("correlation_id", "not a canonical lower-case UUID"));
        }
        Object payload = event.get("payload");
        if (payload != null && !(payload instanceof Map)) {
            problems.add(new Problem("payload", "not an object"));
        }
        return problems;
    }

    private static void checkRecipients(Object value, String producer, Catalogue.EventType type, List<Problem> problems) {
        if (value == null) {
            return; // reported as required
        }
        if (!(value instanceof List)) {
            problems.add(new Problem("recipients", "not an array of agency ids"));
            return;
        }
        List<?> recipients = (List<?>) value;
        Set<Object> seen = new HashSet<>();
        for (Object recipient : recipients) {
            if (!(recipient instanceof String && isAgencyId((String) recipient))) {
                problems.add(new Problem("recipients", "not an array of agency ids"));
                return;
            }
            if (!seen.add(recipient)) {
                problems.add(new Problem("recipients", "an agency twice"));
                return;
            }
            if (recipient.equals(producer)) {
                problems.add(new Problem("recipients", "the producer among its own recipients"));
                return;
            }
        }
        if (type != null) {
            boolean issued = type.name().equals("ReferralIssued");
            if (issued && recipients.isEmpty()) {
                problems.add(new Problem("recipients", "empty for ReferralIssued"));
            } else if (!issued && !recipients.isEmpty()) {
                problems.add(new Problem("recipients", "not empty for " + type.name()));
            }
        }
    }

    private static void checkAttributes(Object value, Catalogue.EventType type, List<Problem> problems) {
        if (value == null) {
            return; // reported as required
        }
        if (!(value instanceof Map)) {
            problems.add(new Problem("attributes", "not an object"));
            return;
        }
        if (type == null) {
            return; // the event type is reported; its attributes cannot be judged
        }
        Map<?, ?> attributes = (Map<?, ?>) value;
        for (Object name : attributes.keySet()) {
            if (!type.attributes().containsKey(name)) {
                problems.add(new Problem("attributes", "an attribute that " + type.name() + " does not have"));
                break;
            }
        }
        for (Map.Entry<String, List<String>> attribute : type.attributes().entrySet()) {
            String key = "attributes." + attribute.getKey();
            Object code = attributes.get(attribute.getKey());
            if (code == null) {
                problems.add(new Problem(key, "required"));
            } else if (!(code instanceof String)) {
                problems.add(new Problem(key, "not a string"));
            } else if (attribute.getValue().equals(List.of(Catalogue.RULE_ID))) {
                if (!RULE_ID.matcher((String) code).matches()) {
                    problems.add(new Problem(key, "not a rule id (1-64 characters [a-z0-9-])"));
                }
            } else if (!attribute.getValue().contains(code)) {
                problems.add(new Problem(key, "not a code of its list"));
            }
        }
    }

    public static boolean isUuid(Object value) {
        return value instanceof String && UUID.matcher((String) value).matches();
    }

    /** {@code <type>.<region>[.<name>]}, each part 1 to 40 of [a-z0-9-], no - at either end. */
    public static boolean isAgencyId(String id) {
        String[] parts = id.split("\\.", -1);
        if (parts.length < 2 || parts.length > 3) {
            return false;
        }
        for (String part : parts) {
            if (part.length() > 40 || !ID_PART.matcher(part).matches()) {
                return false;
            }
        }
        return Catalogue.AGENCY_TYPES.contains(parts[0])
                && (Catalogue.REGIONS.contains(parts[1]) || Catalogue.NATIONAL.equals(parts[1]));
    }

    /** The agency type of a valid agency id (its first part). */
    public static String agencyType(String id) {
        return id.substring(0, id.indexOf('.'));
    }

    /**
     * {@code occurred_at} in microseconds since the epoch, or null unless it follows the v1.1
     * grammar: {@code YYYY-MM-DDTHH:MM:SS}, optionally 1 to 6 fraction digits, then {@code Z} or
     * {@code ±HH:MM}; a real date and time (no second 60, no hour 24). An offset is at most
     * 23:59 either way.
     */
    public static Long epochMicros(String text) {
        Matcher m = TIME.matcher(text);
        if (!m.matches()) {
            return null;
        }
        int hour = Integer.parseInt(m.group(4));
        int minute = Integer.parseInt(m.group(5));
        int second = Integer.parseInt(m.group(6));
        if (hour > 23 || minute > 59 || second > 59) {
            return null;
        }
        LocalDate date;
        try {
            date = LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        } catch (DateTimeException e) {
            return null;
        }
        if (date.getYear() < 1) {
            return null;
        }
        long offsetSeconds = 0;
        if (m.group(10) != null) {
            int offsetHours = Integer.parseInt(m.group(11));
            int offsetMinutes = Integer.parseInt(m.group(12));
            if (offsetHours > 23 || offsetMinutes > 59) {
                return null;
            }
            offsetSeconds = (offsetHours * 3600L + offsetMinutes * 60L) * (m.group(10).equals("-") ? -1 : 1);
        }
        String fraction = m.group(8) == null ? "" : m.group(8);
        long micros = fraction.isEmpty() ? 0 : Long.parseLong((fraction + "00000").substring(0, 6));
        long seconds = date.toEpochDay() * 86400L + hour * 3600L + minute * 60L + second - offsetSeconds;
        return seconds * 1_000_000L + micros;
    }

    /** The keys refused, in order, without repeats. */
    public static List<String> refusedKeys(List<Problem> problems) {
        Map<String, Boolean> keys = new LinkedHashMap<>();
        for (Problem problem : problems) {
            keys.put(problem.key(), Boolean.TRUE);
        }
        return List.copyOf(keys.keySet());
    }
}
