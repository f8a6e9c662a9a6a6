"""One way to build and run a faust app of the backbone.

Every service runs as its own SCRAM principal. Its app id is ``<principal>_svc``, so its consumer
group and the changelog topics of its tables start with ``<principal>_``, the prefix its ACLs
allow (deploy/kafka/topology.toml). Tables live in RocksDB under the run folder and are recovered
from their changelogs after a restart.

Changelog and repartition topics are replicated as ``broker/replication.py`` says for the cluster
the app reaches (counted when the app is made); their ``min.insync.replicas`` is the brokers'
default, which ``backbone broker start`` renders from the same rule. The producer waits for every
in-sync replica (``producer_acks=-1``); faust has no public setting for an idempotent producer
outside ``exactly_once``, so a retried send may be written twice and the consumers' event-id
checks are what make that harmless.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import faust
from faust.worker import Worker
from mode.utils.times import want_seconds

from backbone.broker import admin
from backbone.broker.replication import of_cluster
from backbone.broker.settings import KafkaSettings
from backbone.logs import configure, get_logger
from backbone.network import bind_host
from backbone.paths import private_dir, run_dir
from backbone.runtime import watchdog
from backbone.runtime.metrics import serve_from_env

# Standby replicas of each table partition kept warm by the other instances of a service (faust's
# ``table_standby_replicas``); with one instance there is nobody to keep them. Chosen by
# measurement (bench/failover_audit.py, docs/operations.md "Scaling out"): a standby shortened the
# table restore by a fraction of a second, but once, promoted after a SIGKILL, it lacked part of
# its changelog (the survivor held 14,420 of 15,818 events), and the takeover took no less time.
STANDBY_REPLICAS = 0


def app_id(principal: str) -> str:
    return f"{principal}_svc"


def member_id(principal: str, state: Path) -> str:
    """The static group member id of one instance of a service: the same for every start from
    the same state folder, different for each instance (each has its own)."""
    digest = hashlib.sha256(str(state.resolve()).encode()).hexdigest()[:12]
    return f"{principal}-{digest}"


def make_app(
    principal: str,
    settings: KafkaSettings,
    *,
    web_port: int | None = None,
    state_dir: Path | None = None,
    standby_replicas: int | None = None,
    **overrides: Any,
) -> faust.App:
    """A faust app connected as ``settings``' principal. Unless ``topic_replication_factor`` is
    given, one metadata request counts the cluster's brokers (``broker/replication.py``);
    nothing else connects until the app starts."""
    state = private_dir(state_dir or run_dir() / "state" / principal)
    options: dict[str, Any] = {
        "broker": [f"kafka://{host}" for host in settings.bootstrap.split(",")],
        "broker_credentials": faust.SASLCredentials(
            username=settings.username,
            password=settings.password,
            mechanism=settings.sasl_mechanism,
        ),
        "store": "rocksdb://",
        "datadir": str(state),
        "topic_allow_declare": True,
        "topic_disable_leader": True,
        # Tables are co-partitioned with their source topic; callers pass partitions= to match.
        "topic_partitions": 1,
        "processing_guarantee": "at_least_once",
        "consumer_auto_offset_reset": "earliest",
        "broker_max_poll_records": 100,
        # A member that died without leaving (SIGKILL, a lost host) keeps its partitions until
        # its session expires: faust's default is 60 s, during which a restarted service gets
        # none of them. Heartbeats come from the consumer's own thread every 3 s.
        "broker_session_timeout": 10.0,
        # Static membership: an instance restarted within the session timeout takes its own
        # partitions back without a rebalance. faust 0.15 can skip records delivered while a
        # rebalance suspends its flow (seen as events read again only at the next restart), so
        # every rebalance avoided is one chance fewer; a stopped instance's partitions move to
        # the others once its session expires (10 s), not at once.
        "consumer_group_instance_id": member_id(principal, state),
        "web_enabled": web_port is not None,
        "web_port": web_port or 6066,
        "web_bind": bind_host(),
        # Table contents are never served over faust's generic /table endpoint.
        "web_tables_enabled": False,
        "web_graph_enabled": False,
        "table_standby_replicas": STANDBY_REPLICAS
        if standby_replicas is None
        else standby_replicas,
        "producer_acks": -1,
    }
    options.update(overrides)
    if "topic_replication_factor" not in options:
        options["topic_replication_factor"] = of_cluster(settings).factor
    return faust.App(app_id(principal), **options)


def standby_option(parser: argparse.ArgumentParser) -> None:
    """``--standby-replicas N`` on a service's run command."""
    parser.add_argument(
        "--standby-replicas",
        type=int,
        default=None,
        help=f"warm copies of each table partition on other instances ({STANDBY_REPLICAS})",
    )


def declare_internal_topics(app: faust.App, settings: KafkaSettings) -> list[str]:
    """Create the changelog topics of ``app``'s tables (compacted, replicated by the rule) and
    the internal topics its agents consume (a service's refill requests),
    and wait until the brokers' metadata has their partitions, before the worker joins its
    group.

    faust creates them itself while it starts, but that races with the group's subscription:
    a member that joins at once (a static member does) could take its group's metadata
    snapshot while a new changelog showed 0 partitions, and its first table write failed with
    ``PartitionsMismatch``; and a consumer that subscribes before an internal topic is in the
    metadata ignores it ("Ignoring missing topic") until its next metadata refresh, minutes
    later, so the agent on it receives nothing (on a fresh broker the audit, then a faust app,
    evaluated no child and emitted no breach for as long)."""
    specs = [
        admin.TopicSpec(
            table.changelog_topic_name,
            table.partitions or app.conf.topic_partitions,
            {"cleanup.policy": "compact"},
        )
        for table in app.tables.values()
    ]
    for agent in app.agents.values():
        channel = agent.channel
        if isinstance(channel, faust.TopicT) and channel.internal:
            configs = {}
            if channel.retention is not None:
                configs["retention.ms"] = str(int(want_seconds(channel.retention) * 1000))
            for name in channel.topics:
                partitions = channel.partitions or app.conf.topic_partitions
                specs.append(admin.TopicSpec(name, partitions, configs))
    return admin.ensure_topics(settings, specs)


def run_worker(
    app: faust.App, service: str, agency: str | None = None, settings: KafkaSettings | None = None
) -> None:
    """Run ``app`` in this process until it is stopped, logging JSON lines like every service."""
    configure(service, agency)
    if settings is not None:
        declare_internal_topics(app, settings)
    watchdog.install(app, service)
    port = serve_from_env()
    if port is not None:
        get_logger().info("metrics_served", port=port)
    Worker(app, loglevel="INFO", quiet=True, override_logging=False).execute_from_commandline()


# A faust agent that raises stops for good while its worker process lives on: a silent stall.
# The backbone's agents exit the process instead, with this status, before their record's offset
# is committed, so the record is processed again when the service is restarted.
EXIT_AGENT_FAILED = 70

AgentFunction = Callable[[Any], Awaitable[None]]


def exit_on_failure(service: str) -> Callable[[AgentFunction], AgentFunction]:
    def wrap(agent: AgentFunction) -> AgentFunction:
        @functools.wraps(agent)
        async def run(stream: Any) -> None:
            try:
                await agent(stream)
            except asyncio.CancelledError:
                raise
            except Exception:
                get_logger().exception("agent_failed", service=service)
                logging.shutdown()
                os._exit(EXIT_AGENT_FAILED)

        return run

    return wrap


async def consumer_lag(app: faust.App) -> dict[str, int]:
    """Records not yet read, summed per topic over this worker's assigned partitions."""
    consumer = app.consumer
    lag: dict[str, int] = {}
    for tp in consumer.assignment():
        position = await consumer.position(tp)
        # A rebalance may have revoked it meanwhile: its high watermark is another's to ask.
        if position is None or tp not in consumer.assignment():
            continue
        highwater = consumer.highwater(tp)
        lag[tp.topic] = lag.get(tp.topic, 0) + max(0, (highwater or 0) - position)
    return lag
