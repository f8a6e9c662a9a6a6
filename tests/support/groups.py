"""Consumer groups as the broker sees them (kafka-python's admin client, public API)."""

from __future__ import annotations

import logging

from kafka import TopicPartition
from kafka.errors import CoordinatorNotAvailableError, NoError, NotCoordinatorError
from kafka.structs import OffsetAndMetadata

from backbone.broker.admin import admin_client
from backbone.broker.settings import KafkaSettings

# kafka-python cannot decode faust's member metadata and warns about each member it describes.
logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)


def stable_members(settings: KafkaSettings, group: str) -> int:
    """How many members ``group`` has once it is stable (0 while it rebalances or is empty)."""
    try:
        with admin_client(settings) as client:
            described = client.describe_groups([group]).get(group, {})
    except (CoordinatorNotAvailableError, NotCoordinatorError):
        return 0  # the group's coordinator is being elected (a new or changed cluster)
    stable = described.get("group_state") == "Stable"
    return len(described.get("members", [])) if stable else 0


def group_of(principal: str, version: int = 1) -> str:
    """The consumer group of a service's faust app (``runtime.faust_app.app_id``)."""
    base = f"{principal}_svc"
    return base if version == 1 else f"{base}-v{version}"


def group_state(settings: KafkaSettings, group: str) -> str | None:
    """The group's state as its coordinator reports it (``Empty`` once no member is left)."""
    try:
        with admin_client(settings) as client:
            described = client.describe_groups([group]).get(group, {})
    except (CoordinatorNotAvailableError, NotCoordinatorError):
        return None
    state = described.get("group_state")
    return str(state) if state is not None else None


def commit_offsets(settings: KafkaSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Set an empty group's committed offsets, as an operator's reset tool would."""
    with admin_client(settings) as client:
        result = client.alter_group_offsets(
            group, {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
        )
    refused = {tp: error for tp, error in result.items() if error is not NoError}
    assert not refused, f"offsets of {group} not set: {refused}"


def committed_offsets(settings: KafkaSettings, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets, as the broker reports them."""
    with admin_client(settings) as client:
        answer = client.list_group_offsets({group: None}).get(group, {})
    return {tp: meta.offset for tp, meta in answer.items()}
