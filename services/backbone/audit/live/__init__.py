"""The live audit: the service on the event log (aiokafka), its gate, context and settings,
the SLA emission, its HTTP API and client, the replay from Kafka and the CLI."""
