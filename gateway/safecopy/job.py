"""One unit of work for a converter process: the file, its kind, the settings and a deadline."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.config import SafeCopySettings
from gateway.safecopy.kinds import Kind
from gateway.safecopy.results import Reason, Refusal
from gateway.types import Language


@dataclass(frozen=True, slots=True)
class Job:
    data: bytes = field(repr=False)
    filename: str
    detected_type: str
    kind: Kind
    settings: SafeCopySettings
    deadline: float  # time.monotonic(): one clock for every process on the host
    password: str | None = field(default=None, repr=False)  # never shown, never logged
    max_chars: int = 0  # for excerpts
    depth: int = 0  # archives already opened around this file
    language: Language = Language.JA  # of the few labels an excerpt carries

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def check_time(self) -> None:
        """Converters call this between pages or parts, so a slow file ends with a clear note."""
        if time.monotonic() > self.deadline:
            seconds = self.settings.limits.max_seconds
            raise Refusal(Reason.TIMEOUT, f"conversion took longer than {seconds:g} s")


@dataclass(frozen=True, slots=True)
class Batch:
    """Several jobs for one converter process, answered one by one (SafeCopyRunner.run_many)."""

    jobs: tuple[Job, ...]


# A task is named "module:function"; the converter process imports it, the gateway need not.
Task = str


def resolve(task: Task) -> Callable[[Job], Any]:
    module, _, name = task.partition(":")
    function: Callable[[Job], Any] = getattr(importlib.import_module(module), name)
    return function
