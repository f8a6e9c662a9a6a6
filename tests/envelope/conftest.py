from __future__ import annotations

import pytest

from support.envelopes import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()
