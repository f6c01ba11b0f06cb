from __future__ import annotations

import pytest

from gateway.config import ReleasePolicySettings, RetentionDaysSettings
from gateway.quarantine import HoldState, QuarantineRecord, StoredItem
from gateway.services.policy import level, retention_days


@pytest.mark.parametrize(("keys", "expected"), [
    ({"inline-image"}, "self"),
    ({"attachment"}, "approval"),
    ({"attachment", "executable"}, "admin"),
    ({"attachment", "archive"}, "approval"),  # a flag without a setting only describes
    ({"something-new"}, "approval"),  # a reason without a setting takes the default
    (set(), "approval"),
    ({"inline-image", "original"}, "approval"),
])
def test_the_strictest_level_applies(keys: set[str], expected: str) -> None:
    assert level(ReleasePolicySettings(), keys) == expected


def test_a_site_can_loosen_or_tighten_each_reason() -> None:
    loose = ReleasePolicySettings(attachment="self", original="self")
    assert level(loose, {"attachment", "original"}) == "self"
    assert level(loose, {"attachment", "macros"}) == "approval"
    assert level(ReleasePolicySettings(default="admin"), {"something-new"}) == "admin"


def _mail(verdict: str, *items: tuple[str, list[str]]) -> QuarantineRecord:
    return QuarantineRecord(
        "Q", 0.0, 0.0, "", [], "", "", verdict, "", 0, HoldState.HELD, "", None,
        items=[StoredItem(n, "", "", "", 0, "", flags, reason) for n, (reason, flags)
               in enumerate(items)],
    )


def test_retention_a_flag_is_more_specific_than_the_reason_and_the_longest_part_counts() -> None:
    days = RetentionDaysSettings(default=30, attachment=20, executable=7, quarantined_whole=90)
    assert retention_days(days, _mail("sanitized", ("attachment", ["executable"]))) == 7
    assert retention_days(days, _mail("sanitized", ("attachment", ["archive"]))) == 20
    assert retention_days(days, _mail("sanitized", ("attachment", ["executable"]),
                                      ("attachment", []))) == 20
    assert retention_days(days, _mail("quarantined-whole")) == 90
    assert retention_days(days, _mail("clean")) == 30
    assert retention_days(days, _mail("sanitized", ("something-new", []))) == 30
