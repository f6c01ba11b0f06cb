from __future__ import annotations

import errno

import pytest

from gateway.errors import SpoolError
from gateway.spool.entry import SpoolFull, spool_error


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_or_quota_is_spool_full(code: int) -> None:
    error = spool_error(OSError(code, "no room"), "cannot move Q to outgoing")
    assert isinstance(error, SpoolFull) and str(error) == "cannot move Q to outgoing: no room"


def test_any_other_failure_is_a_plain_spool_error() -> None:
    error = spool_error(OSError(errno.EIO, "I/O error"), "spool write failed")
    assert type(error) is SpoolError and "I/O error" in str(error)
