"""Fixtures shared by every suite. Tests marked ``broker`` run against a real Kafka broker."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from support.broker import Broker, provide_broker

# kafka-python warns on every SASL_PLAINTEXT login; on the loopback test broker that is the design.
logging.getLogger("kafka.net.sasl.scram").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    with provide_broker() as running:
        yield running
