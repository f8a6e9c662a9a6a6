"""The consumer side of the envelope: what every consumer of a record does with it.

``inbound`` (a record as a consumer got it, whatever client read it), ``quarantine`` (the one
quarantine interface, its in-process and table adapters; the Kafka one is the edge's,
``broker/quarantine.py``) and ``reader`` (the consumer gate: decode, de-duplicate, authorise,
or quarantine and log). Nothing here talks to Kafka.
"""
