"""The consumer side of the envelope: what every consumer of a record does with it.

``inbound`` (a record as a consumer got it, whatever client read it), ``quarantine`` (the one
quarantine interface, its in-process and table adapters; the Kafka one is the edge's,
``broker/quarantine.py``), ``gate`` (the one consumer gate: decode, screen, de-duplicate, admit,
or quarantine, log and count) and ``reader`` (the router's and agencies' face of the gate; the
audit's is ``audit/live/gate.py``). Nothing here talks to Kafka.
"""
