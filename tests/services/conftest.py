from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.plane import World, make_world, plane_sections


@pytest.fixture
def build_world(make_settings: Any) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def build(**overrides: dict[str, Any]) -> World:
        world = make_world(make_settings(**plane_sections(**overrides)))
        made.append(world)
        return world

    yield build
    for world in made:
        world.store.close()


@pytest.fixture
def world(build_world: Callable[..., World]) -> World:
    return build_world()
