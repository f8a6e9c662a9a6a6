"""The Kafka edge: connection settings, the local broker process and admin helpers."""
