"""Fixtures shared by every suite. Tests marked ``broker`` run against a real Kafka broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.broker import Broker, provide_broker


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    with provide_broker() as running:
        yield running
