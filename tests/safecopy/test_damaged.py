"""Damaged and mutated files: every task ends in a result or a reason, never an exception.

The converters are called in this process through child.outcome (the function the converter
process runs), so a failure shows its traceback here instead of a dead process.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from gateway.config import SafeCopySettings
from gateway.safecopy import Excerpt, NoSafeCopy, SafeCopy, Unlocked
from gateway.safecopy.child import outcome
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind
from gateway.safecopy.runner import CONVERTERS, EXCERPT, UNLOCK
from tests.safecopy import samples

SETTINGS = SafeCopySettings()
SOURCES: dict[Kind, Callable[[], bytes]] = {
    Kind.PDF: samples.hostile_pdf,
    Kind.WORD: samples.hostile_docm,
    Kind.EXCEL: samples.hostile_xlsm,
    Kind.POWERPOINT: samples.hostile_pptm,
    Kind.IMAGE: lambda: samples.png(16, 16),
    Kind.ZIP: lambda: samples.zip_bytes({"a.pdf": samples.pdf([["x"]])}, password=b"pw"),
}


def _mutants(data: bytes, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    found = []
    for number in range(count):
        mutant = bytearray(data)
        if number % 3 == 0:
            mutant = mutant[: rng.randrange(len(mutant))]
        elif number % 3 == 1:
            for _ in range(rng.randint(1, 20)):
                mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        else:
            at = rng.randrange(len(mutant))
            mutant[at:at] = rng.randbytes(rng.randint(1, 64))
        found.append(bytes(mutant))
    return found


@pytest.mark.parametrize("kind", list(SOURCES))
def test_mutated_files_end_in_a_result_or_a_reason(kind: Kind) -> None:
    tasks = [t for t in (CONVERTERS.get(kind), EXCERPT, UNLOCK) if t is not None]
    for mutant in _mutants(SOURCES[kind](), 30, seed=len(kind)):
        for task in tasks:
            job = Job(mutant, "f", "", kind, SETTINGS, time.monotonic() + 30, password="pw",
                      max_chars=200)  # fmt: skip
            result = outcome(task, job, SETTINGS.limits)
            assert isinstance(result, SafeCopy | Excerpt | Unlocked | NoSafeCopy)
            if isinstance(result, NoSafeCopy):
                assert result.detail and "pw" not in result.detail.split()
