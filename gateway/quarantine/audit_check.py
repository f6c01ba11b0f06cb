"""Watching the audit chain without walking all of it on every look.

Verifying a long chain costs a read and a SHA-256 per entry, too much for every scrape or every
housekeeping round. So the state of the watch is kept in the store (audit_check): the chain is
known whole from entry 1 to `verified_seq`, whose hash is remembered. Each round checks that
this entry is still the one verified (an edit, a deletion or a rewrite of the chain up to it is
seen at once), walks the entries appended since, and with what is left of its budget goes on
re-checking the chain from the start where the previous round stopped (`sweep_seq`), so an edit
of any older entry is found within a few rounds. A break, once found, stays recorded, across
restarts and nodes, until a full verification finds the chain whole and still holding the
entries verified before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from gateway.quarantine.audit import GENESIS, Verification, at_the_end, head, stored_hash, walk
from gateway.quarantine.schema import audit_check


@dataclass(frozen=True, slots=True)
class ChainState:
    ok: bool  # whole as far as checked
    checked_at: float  # when a round or a verification last looked; 0: never
    verified_seq: int  # entries 1 … verified_seq are whole
    verified_hash: str
    sweep_seq: int  # the re-check from the start has reached this entry
    sweep_hash: str
    bad_seq: int | None = None  # the first entry found not to fit
    problem: str = ""


def state(conn: Connection) -> ChainState:
    row = conn.execute(select(audit_check).where(audit_check.c.id == 1)).first()
    if row is None:
        return ChainState(False, 0.0, 0, GENESIS, 0, GENESIS, 1,
                          "the audit chain's check row (audit_check) is missing")  # fmt: skip
    return ChainState(bool(row.ok), float(row.checked_at), int(row.verified_seq),
                      row.verified_hash, int(row.sweep_seq), row.sweep_hash,
                      None if row.bad_seq is None else int(row.bad_seq), row.problem)  # fmt: skip


def _broken(before: ChainState, now: float, seq: int, problem: str) -> ChainState:
    return dataclasses.replace(before, ok=False, checked_at=now, bad_seq=seq, problem=problem)


def _anchor_problem(conn: Connection, before: ChainState, head_seq: int) -> tuple[int, str] | None:
    """Is the last entry verified before still there, unchanged, inside the chain?"""
    seq = before.verified_seq
    if head_seq < seq:
        return head_seq + 1, f"the chain ends at entry {head_seq}, but entry {seq} was " \
            "verified before (entries removed from the end)"
    if seq and stored_hash(conn, seq) != before.verified_hash:
        return seq, f"entry {seq} is not the entry verified before (changed, deleted, or the " \
            "chain rewritten)"
    return None


def advance(conn: Connection, before: ChainState, *, now: float, budget: int) -> ChainState:
    """One round: the state after reading at most `budget` entries (nothing is written). A
    broken chain is left as it was found."""
    if not before.ok:
        return before
    found = head(conn)
    if found is None:
        return _broken(before, now, 1, "the chain's head row (audit_head) is missing")
    head_seq, head_hash = found
    if anchor := _anchor_problem(conn, before, head_seq):
        return _broken(before, now, *anchor)
    # entries appended after the head was read are left to the next round
    tail = walk(conn, after=before.verified_seq, prev=before.verified_hash, until=head_seq,
                limit=budget)  # fmt: skip
    if tail.checked < budget:  # read to the end: it must end where the head says
        tail = at_the_end(tail, head_seq, head_hash)
    if tail.bad_seq is not None:
        return _broken(before, now, tail.bad_seq, tail.problem)
    left = budget - tail.checked
    sweep = walk(conn, after=before.sweep_seq, prev=before.sweep_hash, until=tail.seq,
                 limit=left)  # fmt: skip
    if sweep.bad_seq is not None:
        return _broken(before, now, sweep.bad_seq, sweep.problem)
    if sweep.checked < left and sweep.seq < tail.seq:
        return _broken(before, now, sweep.seq + 1, f"entry {sweep.seq + 1} is missing")
    around = sweep.seq >= tail.seq  # the whole chain re-checked: start again from entry 1
    return ChainState(True, now, tail.seq, tail.hash, 0 if around else sweep.seq,
                      GENESIS if around else sweep.hash)  # fmt: skip


def _values(s: ChainState) -> dict[str, object]:
    return {**dataclasses.asdict(s), "ok": int(s.ok)}


def save(conn: Connection, before: ChainState, after: ChainState) -> bool:
    """Write a round's result unless another round (another node's) moved the watch meanwhile;
    the first break found is the one kept."""
    where = [audit_check.c.id == 1, audit_check.c.ok == 1]
    if after.ok:
        where += [audit_check.c.verified_seq == before.verified_seq,
                  audit_check.c.sweep_seq == before.sweep_seq]  # fmt: skip
    done = conn.execute(update(audit_check).where(*where).values(**_values(after)))
    return done.rowcount == 1


def record_verification(conn: Connection, result: Verification, now: float) -> Verification:
    """Record what a full verification found. A whole chain clears a break recorded before only
    if it still holds the entries verified before; else the verification is reported broken."""
    before = state(conn)
    if result.ok and (anchor := _anchor_problem(conn, before, result.head_seq)):
        result = dataclasses.replace(result, ok=False, bad_seq=anchor[0], problem=anchor[1])
    if result.ok:
        after = ChainState(True, now, result.head_seq, result.head_hash, 0, GENESIS)
    elif before.ok:
        after = _broken(before, now, result.bad_seq or 1, result.problem)
    else:
        return result  # the first break found stays the one recorded
    conn.execute(update(audit_check).where(audit_check.c.id == 1).values(**_values(after)))
    return result
