from __future__ import annotations

import multiprocessing as mp

from gateway.spool import ids
from gateway.spool.ids import QUEUE_ID_LENGTH, is_queue_id, new_queue_id


def _ids(n: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    out.put([new_queue_id() for _ in range(n)])


def test_ids_are_unique_sorted_and_filename_safe() -> None:
    ids = [new_queue_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # more than 256 per millisecond borrows the next one, in order
    assert all(len(i) == QUEUE_ID_LENGTH and is_queue_id(i) for i in ids)


def test_ids_from_concurrent_processes_never_clash() -> None:
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_ids, args=(3000, out)) for _ in range(3)]
    for p in procs:
        p.start()
    batches = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join()
    everything = [i for batch in batches for i in batch]
    assert len(set(everything)) == 9000


def test_is_queue_id_rejects_path_tricks() -> None:
    assert not is_queue_id("../" + "A" * 15)
    assert not is_queue_id("a" * QUEUE_ID_LENGTH)  # lower case is never produced
    assert not is_queue_id("")


def test_the_node_is_part_of_the_id(monkeypatch: object) -> None:
    """Two gateways whose processes got the same pids, in the same millisecond, differ."""
    ids.set_node("gateway-a")
    first = new_queue_id()
    ids.set_node("gateway-b")
    second = new_queue_id()
    assert first[11:15] != second[11:15] and first[15:] != "" and second[15:] != ""
    assert first[11:15] == f"{ids.node_tag('gateway-a'):04X}"
    assert is_queue_id("0195F3A2B4C5D6E7F8")  # the earlier 18-digit layout is still read
