"""The audit: a pure core and the live service around it (docs/audit.md).

Core (no Kafka, faust or crypto): ``calendar`` (Kazakhstan working days, deadlines) and
``rules`` (the SLA rules as data) feed ``sla`` (the evaluator); ``pathway`` folds judged events
into per-child views; ``replay`` reads plain JSON lines; ``notices`` and ``breach_events`` say
when SLA events are due and what they contain; ``store``, ``projection`` and ``schedule`` hold
the live audit's working set and its queries; ``api`` shapes the HTTP answers.

Edge: ``gate`` (verify and admit envelopes), ``emitter`` and ``emission`` (sign and send SLA
events), ``service`` (the faust app), ``web``, ``context``, ``settings``,
``kafka_log`` (replay from the log), ``client`` and the ``cli`` modules.
"""
