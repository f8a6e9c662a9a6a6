"""A service's internal topics exist, with their partitions and retention, before its worker
joins its group (``runtime.faust_app.declare_internal_topics``), on the real broker.

Found by the demo's metrics test: on a fresh broker the live audit subscribed to its ticks topic
before faust had created it, the consumer logged "Ignoring missing topic" and its ``check``
agent received no tick until the next metadata refresh, minutes later: the audit evaluated no
child and emitted no breach.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import faust
import pytest
from kafka import KafkaConsumer
from kafka.admin import ConfigResource, ConfigResourceType

from backbone.broker.admin import admin_client
from backbone.runtime.faust_app import declare_internal_topics
from support.broker import Broker

pytestmark = pytest.mark.broker


def test_an_agents_internal_topic_and_a_tables_changelog_exist_before_the_worker_starts(
    broker: Broker,
) -> None:
    app = faust.App(f"test-declare-{uuid.uuid4().hex[:10]}", topic_partitions=3)
    ticks = app.topic(
        f"{app.conf.id}-ticks", partitions=3, internal=True, retention=timedelta(hours=1)
    )
    outside = app.topic(f"{app.conf.id}-not-internal")

    @app.agent(ticks)
    async def check(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for _ in stream:
            yield None

    @app.agent(outside)
    async def other(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for _ in stream:
            yield None

    app.Table("state", default=None, partitions=3)
    names = (f"{app.conf.id}-ticks", f"{app.conf.id}-state-changelog")
    try:
        created = declare_internal_topics(app, broker.admin)
        assert sorted(created) == sorted(names)  # not the topic that is not internal
        with admin_client(broker.admin) as client:
            configs = client.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
            )
        consumer = KafkaConsumer(**broker.admin.kafka_python())
        try:
            partitions = {name: consumer.partitions_for_topic(name) for name in names}
        finally:
            consumer.close()
        assert partitions == {name: {0, 1, 2} for name in names}
        assert configs["topic"][names[0]]["retention.ms"]["value"] == str(3_600_000)
        assert configs["topic"][names[1]]["cleanup.policy"]["value"] == "compact"
        assert declare_internal_topics(app, broker.admin) == []  # idempotent
    finally:
        with admin_client(broker.admin) as client:
            client.delete_topics(list(names))
