"""The audit's pure core: calendar, rules, deadlines, pathways, replay, the store and its
projection, the schedule and the API's answers as plain functions. No Kafka, no I/O."""
