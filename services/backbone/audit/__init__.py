"""The audit projection's pure core: event log → lifecycle verdicts → SLA obligations → pathways.

``calendar`` (Kazakhstan working days, deadlines) and ``rules`` (the SLA rules as data) feed
``sla`` (the evaluator); ``pathway`` folds the judged events into per-child views; ``replay``
reads plain JSON lines and is what ``backbone audit replay`` (``cli``) runs. Nothing here imports
Kafka, faust or crypto.
"""
