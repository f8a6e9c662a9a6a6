from __future__ import annotations

from pathlib import Path

import pytest
from field_world import Field, Harness, make_field


@pytest.fixture
def field() -> Field:
    return make_field()


@pytest.fixture
def harness(field: Field, tmp_path: Path) -> Harness:
    return Harness(field.world.copy_directory, tmp_path / "intake" / "accepted.db")
