from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.plane import World, make_world, plane_sections


@pytest.fixture
def build_world(make_settings: Any, store_url: str) -> Iterator[Callable[..., World]]:
    """Worlds on each store backend: SQLite, and a throwaway PostgreSQL database."""
    made: list[World] = []

    def build(**overrides: dict[str, Any]) -> World:
        sections = plane_sections(**overrides)
        sections["store"] = {"url": store_url, **sections.get("store", {})}
        world = make_world(make_settings(**sections))
        made.append(world)
        return world

    yield build
    for world in made:
        world.store.close()


@pytest.fixture
def world(build_world: Callable[..., World]) -> World:
    return build_world()
