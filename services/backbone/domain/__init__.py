"""The pure domain: agencies, the event catalogue, plain events and the referral lifecycle.

Nothing here imports Kafka, faust, crypto or files beyond the standard library.
"""
