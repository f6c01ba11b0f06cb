"""The watch over the audit chain, round by round, on both backends: it advances within its
budget, finds every kind of tampering (old entries by the rolling re-check, new ones by the
tail, a rewritten chain by the entry it verified last), keeps a break across a restart and a
verification that cannot vouch for the entries verified before, and lets a verification of the
restored chain clear it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from gateway.quarantine import ChainState, QuarantineStore
from gateway.quarantine.audit import GENESIS, chain_hash
from gateway.quarantine.db import normalize_url

BUDGET = 4


def _append(store: QuarantineStore, count: int) -> None:
    for n in range(count):
        with store.transaction() as tx:
            tx.audit.append(actor="token:x:admin", role="admin", action="token.create",
                            target=f"t{n}", detail={"n": n})  # fmt: skip


def _round(store: QuarantineStore, budget: int = BUDGET) -> ChainState:
    with store.snapshot() as tx:
        before = tx.audit.chain_state()
        after = tx.audit.check_chain(before, now=time.time(), budget=budget)
    with store.transaction() as tx:
        assert tx.audit.save_chain_state(before, after) or after == before
    return _state(store)


def _state(store: QuarantineStore) -> ChainState:
    with store.snapshot() as tx:
        return tx.audit.chain_state()


def _until_whole(store: QuarantineStore) -> ChainState:
    """Rounds until the tail reached the head and the re-check went all the way round."""
    for _ in range(100):
        state = _round(store)
        with store.snapshot() as tx:
            head = tx.audit.verify().head_seq
        if state.verified_seq == head and state.sweep_seq == 0:
            return state
    raise AssertionError("the watch never got round the chain")


def _sql(store: QuarantineStore, *statements: str) -> None:
    engine = create_engine(normalize_url(store._db.url))  # a hand outside mutaika
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_a_new_store_has_checked_nothing_and_knows_nothing_wrong(store: QuarantineStore) -> None:
    state = _state(store)
    assert state.ok and state.checked_at == 0 and state.verified_seq == 0


def test_rounds_stay_within_their_budget_and_cover_the_whole_chain(
    store: QuarantineStore,
) -> None:
    _append(store, 10)
    first = _round(store)
    assert first.ok and first.verified_seq == BUDGET and first.checked_at > 0
    assert _round(store).verified_seq == 8
    third = _round(store)  # entries 9 and 10, then 1 and 2 of the re-check from the start
    assert (third.verified_seq, third.sweep_seq) == (10, 2)
    # the tail is done: the rounds re-check BUDGET entries each, and start over at the end
    assert [_round(store).sweep_seq for _ in range(3)] == [6, 0, 4]
    _append(store, 3)  # new entries come first, the re-check goes on with what is left
    state = _round(store)
    assert (state.verified_seq, state.sweep_seq) == (13, 5)
    with store.snapshot() as tx:
        assert state.verified_hash == tx.audit.verify().head_hash


# statements, the first bad entry (None: what it leaves is a whole chain of its own)
TAMPERING: dict[str, tuple[list[str], int | None]] = {
    "edit": (["UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3"], 3),
    "edit-detail": (["UPDATE audit_log SET detail = '{\"n\": 9}' WHERE seq = 4"], 4),
    "delete": (["DELETE FROM audit_log WHERE seq = 3"], 3),
    "delete-last": (["DELETE FROM audit_log WHERE seq = 10"], 10),
    "delete-last-and-move-head": ([
        "DELETE FROM audit_log WHERE seq = 10",
        "UPDATE audit_head SET seq = 9, hash = (SELECT hash FROM audit_log WHERE seq = 9)",
    ], 10),
    "reorder": ([
        "UPDATE audit_log SET seq = 100 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 100",
    ], 2),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
@pytest.mark.parametrize("when", ["verified-before", "not-yet-verified"])
def test_every_tampering_is_found(store: QuarantineStore, how: str, when: str) -> None:
    _append(store, 10)
    if when == "verified-before":
        _until_whole(store)
    statements, bad = TAMPERING[how]
    if how == "delete-last-and-move-head" and when == "not-yet-verified":
        bad = None  # nine entries and a head naming the ninth: only a watch that saw ten knows
    _sql(store, *statements)
    for _ in range(10):  # the rolling re-check reaches every entry within 10 / BUDGET rounds
        state = _round(store)
        if not state.ok:
            break
    assert state.ok == (bad is None) and state.bad_seq == bad, state


def test_a_rewritten_chain_is_found_by_the_entry_verified_last(store: QuarantineStore) -> None:
    """Someone edits entry 3 and recomputes every hash after it, head included: the chain
    verifies whole, but it is not the chain that was verified."""
    _append(store, 6)
    _until_whole(store)
    _sql(store, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    engine = create_engine(normalize_url(store._db.url))
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings().all()
        prev = GENESIS
        for row in rows:
            fields = {k: row[k] for k in ("seq", "at", "actor", "role", "action", "target",
                                          "reason", "result")}  # fmt: skip
            fields["detail"] = {"n": int(row["target"][1:])}
            digest = chain_hash(prev, fields)
            conn.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": row["seq"]})  # fmt: skip
            prev = digest
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    engine.dispose()
    with store.snapshot() as tx:
        assert tx.audit.verify().ok  # the chain alone cannot tell
    state = _round(store)
    assert not state.ok and state.bad_seq == 6 and "verified before" in state.problem


def test_a_break_stays_reported_until_a_verification_finds_the_chain_restored(
    store: QuarantineStore, store_url: str,
) -> None:
    _append(store, 6)
    _until_whole(store)
    _sql(store, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
    rounds = [_round(store) for _ in range(3)]
    found = next(s for s in rounds if not s.ok)
    assert found.bad_seq == 2
    store.close()
    restarted = QuarantineStore(store_url)  # a restart, or another node
    try:
        assert _round(restarted) == found  # rounds leave a break as it was found
        _append(restarted, 2)
        assert _round(restarted) == found
        with restarted.snapshot() as tx:
            result = tx.audit.verify()
        with restarted.transaction() as tx:  # still broken: the record stays, first finding
            assert not tx.audit.record_verification(result, time.time()).ok
        assert _state(restarted).bad_seq == 2
        _sql(restarted, "UPDATE audit_log SET actor = 'token:x:admin' WHERE seq = 2")
        with restarted.snapshot() as tx:
            result = tx.audit.verify()
        with restarted.transaction() as tx:
            assert tx.audit.record_verification(result, time.time()).ok
        state = _state(restarted)
        assert state.ok and state.bad_seq is None and state.verified_seq == 8
    finally:
        restarted.close()


def test_a_verification_cannot_clear_a_rewritten_chain(store: QuarantineStore) -> None:
    _append(store, 6)
    _until_whole(store)
    _sql(store, "DELETE FROM audit_log WHERE seq > 4",
         "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4)")
    with store.snapshot() as tx:
        result = tx.audit.verify()
    assert result.ok  # four entries that fit, and a head that says four
    with store.transaction() as tx:
        recorded = tx.audit.record_verification(result, time.time())
    assert not recorded.ok and recorded.bad_seq == 5 and "verified before" in recorded.problem
    assert not _state(store).ok


def test_appends_during_the_rounds_never_raise_a_false_alarm(store: QuarantineStore) -> None:
    for n in range(12):
        _append(store, n % 4)
        assert _round(store, budget=3).ok
    assert _until_whole(store).ok


def test_a_row_beyond_the_head_is_named_by_the_full_verification(store: QuarantineStore) -> None:
    """The rounds read up to the head they saw (later rows may be appends under way); a row
    slipped in beyond the head blocks the next append and is named by `mutaika audit verify`."""
    _append(store, 4)  # entry 4 fits the chain, but the head is set back to name entry 3
    _sql(store, "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)")
    with store.snapshot() as tx:
        result = tx.audit.verify()
    assert not result.ok and result.bad_seq == 4 and "beyond the chain's head" in result.problem
