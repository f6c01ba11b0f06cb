"""`mutaika sanitize` as a user runs it: files in, files and reports out, clear exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import colliding_outputs, main, report_name

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def mutaika(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_single_file_to_stdout_with_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    done = mutaika("sanitize", str(GOLDEN / "encrypted-zip.eml"), "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert b"X-Mutaika-Verdict: sanitized" in done.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["verdict"] == "sanitized"
    assert data["removed"][0]["filename"] == "keiyaku.zip"
    assert "encrypted-archive" in data["removed"][0]["flags"]
    for key in ("filename", "declared_type", "detected_type", "size", "sha256", "flags"):
        assert key in data["removed"][0]
    for key in ("warnings", "charsets", "timings_ms"):
        assert key in data


def test_stdin_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.eml"
    done = mutaika("sanitize", "-", "--output", str(out), stdin=b"Subject: hi\r\n\r\nbody\r\n")
    assert done.returncode == 0 and out.read_bytes().startswith(b"Subject: hi")


def test_batch_writes_message_and_report_per_input(tmp_path: Path) -> None:
    inputs = [str(GOLDEN / "calendar-invite.eml"), str(GOLDEN / "uuencode-body.eml")]
    done = mutaika("sanitize", *inputs, "--output-dir", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "calendar-invite.eml",
        "calendar-invite.json",
        "uuencode-body.eml",
        "uuencode-body.json",
    ]


def test_unreadable_input_is_one_clear_line(tmp_path: Path) -> None:
    done = mutaika("sanitize", str(tmp_path / "missing.eml"))
    assert done.returncode == 1
    error = done.stderr.decode().strip()
    assert error.count("\n") == 0 and "missing.eml" in error and "Traceback" not in error


def test_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[sanitize]\nurl_policy = "explode"\n')
    done = mutaika("sanitize", "--config", str(config), str(GOLDEN / "uuencode-body.eml"))
    assert done.returncode == 2
    assert b"sanitize.url_policy" in done.stderr and b"Traceback" not in done.stderr


def test_several_inputs_need_output_dir() -> None:
    done = mutaika("sanitize", str(GOLDEN / "uuencode-body.eml"), str(GOLDEN / "uuencode-body.eml"))
    assert done.returncode == 2 and b"--output-dir" in done.stderr


def test_report_names() -> None:
    assert report_name("dir/x.eml") == "x.json"
    assert (
        report_name("t.rules__BOUNCE_MESSAGE__fp-bug5882")
        == "t.rules__BOUNCE_MESSAGE__fp-bug5882.json"
    )
    assert report_name("noext") == "noext.json"
    assert report_name(".hidden") == ".hidden.json"
    assert report_name("gb2312.1") == "gb2312.1.json"  # a sequence number, not an extension
    assert report_name("dir/x.json") == "x.json.json"  # never the message's own name
    assert report_name("X.JSON") == "X.JSON.json"


def test_batch_refuses_colliding_outputs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "x.eml").write_bytes(b"Subject: s\r\n\r\nbody\r\n")
    done = mutaika(
        "sanitize",
        str(tmp_path / "a" / "x.eml"),
        str(tmp_path / "b" / "x.eml"),
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert done.returncode == 2 and b"would both write x.eml" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_input_named_like_a_report_keeps_both_outputs(tmp_path: Path) -> None:
    source = tmp_path / "x.json"
    source.write_bytes(b"Subject: s\r\n\r\nbody\r\n")
    out = tmp_path / "out"
    done = mutaika("sanitize", str(source), "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "x.json").read_bytes().startswith(b"Subject: s")
    assert json.loads((out / "x.json.json").read_text(encoding="utf-8"))["verdict"]


def test_colliding_outputs_sees_a_message_name_that_is_another_report() -> None:
    # x.eml reports to x.json, the message name of the input x.json.
    collision = colliding_outputs(["a/x.eml", "b/x.json"])
    assert collision == "a/x.eml and b/x.json would both write x.json"
    assert colliding_outputs(["a/x.eml", "b/y.eml", "c/x.json.eml"]) is None


def test_check_config_hides_the_relay_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MUTAIKA_CONFIG", raising=False)
    monkeypatch.setenv("MUTAIKA_DELIVERY__PASSWORD", "hunter2")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert json.loads(out)["delivery"]["password"] == "**********"


def test_text_prints_what_staff_read(tmp_path: Path) -> None:
    source = GOLDEN / "carrier-emoji-au-jis.eml"
    done = mutaika("sanitize", "--text", str(source))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert text.startswith("From: hanako@ezweb.ne.jp\n") and "Subject: 題名🎤\n" in text
    assert "\n\n本文1⃣" in text and "Content-Transfer-Encoding" not in text
    out = tmp_path / "out"
    done = mutaika("sanitize", "--text", str(source), "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / source.name).read_text(encoding="utf-8") == text


@pytest.mark.parametrize("flag", ["--output", "--report"])
def test_a_write_error_names_the_path(tmp_path: Path, flag: str) -> None:
    target = tmp_path / "missing-dir" / "x.out"
    args = ["sanitize", str(GOLDEN / "uuencode-body.eml"), flag, str(target)]
    if flag == "--report":
        args += ["--output", str(tmp_path / "ok.eml")]
    done = mutaika(*args)
    assert done.returncode == 1
    error = done.stderr.decode().strip()
    assert error == f"mutaika: cannot write {target}: No such file or directory"


def test_a_batch_write_error_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "uuencode-body.json").mkdir()  # the report cannot be written over a directory
    done = mutaika("sanitize", str(GOLDEN / "uuencode-body.eml"), "--output-dir", str(out))
    assert done.returncode == 1
    assert f"cannot write {out / 'uuencode-body.json'}:" in done.stderr.decode()
