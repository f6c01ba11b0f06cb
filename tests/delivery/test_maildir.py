from pathlib import Path

from gateway.delivery.maildir import deliver_maildir, unique_name


def test_delivers_one_file_into_new(tmp_path: Path) -> None:
    replies = deliver_maildir(tmp_path / "md", b"Subject: x\r\n\r\nbody\r\n", ["a@x", "b@x"])
    assert {r.code for r in replies.values()} == {250}
    files = list((tmp_path / "md" / "new").iterdir())
    assert len(files) == 1
    assert files[0].read_bytes() == b"Subject: x\r\n\r\nbody\r\n"
    assert list((tmp_path / "md" / "tmp").iterdir()) == []
    assert (tmp_path / "md" / "cur").is_dir()


def test_unique_names_do_not_repeat() -> None:
    names = {unique_name() for _ in range(1000)}
    assert len(names) == 1000


def test_unwritable_maildir_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "md"
    blocker.write_text("not a directory")
    replies = deliver_maildir(blocker, b"x", ["a@x"])
    assert replies["a@x"].status == "deferred"
