"""Running the backbone's processes: faust apps as Kafka principals, and the local supervisor."""
