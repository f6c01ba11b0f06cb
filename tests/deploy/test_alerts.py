"""deploy/prometheus/alerts.yml: every expression asks for metrics the gateway exports, promtool
accepts the rules and both Prometheus configurations that load them, and promtool's rule tests
show each alert firing on the series it is meant for, and staying quiet on healthy ones."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.deploy.exported import Exported
from tests.deploy.promql import problems

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
A, B = "a:8025", "b:8025"
MIB = 1024**2


def _rules() -> list[dict[str, Any]]:
    groups = YAML(typ="safe").load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian's prometheus package, which "
                    "`scripts/setup.sh dev` installs)")  # fmt: skip
    return found


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_promtool(), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, check=False)  # fmt: skip


def test_every_rule_names_exported_metrics(exported: dict[str, Exported]) -> None:
    rules = _rules()
    found = {rule["alert"]: p for rule in rules if (p := problems(rule["expr"], exported))}
    assert found == {}


def test_every_rule_says_how_bad_and_what_to_do() -> None:
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    documented = (PROMETHEUS.parents[1] / "docs" / "operations.md").read_text().split(
        "\n## Alerts\n", 1)[1]  # fmt: skip
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
        assert f"| `{rule['alert']}` ({rule['labels']['severity']}) |" in documented


def test_promtool_accepts_the_rules_and_the_configurations_that_load_them() -> None:
    done = _run("check", "rules", str(ALERTS), cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in done.stdout
    for config in ("prometheus.yml", "prometheus.multi.yml"):
        done = _run("check", "config", config, cwd=PROMETHEUS)
        assert done.returncode == 0, done.stdout + done.stderr


def _series(name: str, values: str, instance: str = A, **labels: str) -> dict[str, str]:
    matchers = ", ".join(f'{k}="{v}"' for k, v in {**labels, "job": "mutaika",
                                                   "instance": instance}.items())  # fmt: skip
    return {"series": f"{name}{{{matchers}}}", "values": values}


def _fires(at: str, alert: str, *alerts: dict[str, str]) -> dict[str, Any]:
    """At `at`, exactly `alerts` (their labels beside alertname) are firing."""
    return {"eval_time": at, "alertname": alert, "exp_alerts": [{"exp_labels": a} for a in alerts]}


def _on(instance: str, severity: str, **labels: str) -> dict[str, str]:
    return {"job": "mutaika", "instance": instance, "severity": severity, **labels}


# One promtool test each: the input series (one sample a minute), then who fires when.
SCENARIOS: dict[str, tuple[list[dict[str, str]], list[dict[str, Any]]]] = {
    "down": (
        [_series("up", "1x3 0x10"), _series("up", "1x13", B)],
        [_fires("4m", "MutaikaDown"), _fires("7m", "MutaikaDown", _on(A, "critical"))],
    ),
    "not-ready": (
        [_series("mutaika_ready", "1 0x10"), _series("mutaika_ready", "1x10", B)],
        [_fires("4m", "MutaikaNotReady"), _fires("8m", "MutaikaNotReady", _on(A, "critical"))],
    ),
    "crash-loop": (
        [_series("mutaika_child_restarts_total", "0+1x20", child="worker"),
         _series("mutaika_child_restarts_total", "0 1 1 1 1 1 1 1 1 1", child="smtp")],
        [_fires("9m", "MutaikaChildCrashLoop", _on(A, "critical", child="worker"))],
    ),
    "incoming-stuck": (
        [_series("mutaika_queue_oldest_age_seconds", "0+60x20", queue="incoming"),
         _series("mutaika_queue_oldest_age_seconds", "0+60x20", queue="outgoing"),
         _series("mutaika_queue_oldest_age_seconds", "0 1 0 2 0 1 0 0 0 0 0 0 0 0", B,
                 queue="incoming")],
        [_fires("8m", "MutaikaIncomingQueueStuck"),
         _fires("12m", "MutaikaIncomingQueueStuck", _on(A, "warning", queue="incoming"))],
    ),
    "deferred-old": (
        [_series("mutaika_queue_oldest_age_seconds", "3000+60x30", queue="deferred")],
        [_fires("13m", "MutaikaDeferredQueueOld"),
         _fires("20m", "MutaikaDeferredQueueOld", _on(A, "warning", queue="deferred"))],
    ),
    "deliveries-deferred": (
        [_series("mutaika_delivery_attempts_total", "0+10x60", outcome="deferred"),
         _series("mutaika_delivery_attempts_total", "0+1x60", outcome="delivered"),
         _series("mutaika_delivery_attempts_total", "0+1x60", B, outcome="deferred"),
         _series("mutaika_delivery_attempts_total", "0+10x60", B, outcome="delivered")],
        [_fires("40m", "MutaikaDeliveriesDeferred", _on(A, "warning"))],
    ),
    "delivery-failed": (
        [_series("mutaika_delivery_attempts_total", "0 0 0 1 1 1", outcome="failed"),
         _series("mutaika_delivery_attempts_total", "0+5x5", outcome="delivered")],
        [_fires("2m", "MutaikaDeliveryFailed"),
         _fires("5m", "MutaikaDeliveryFailed", _on(A, "warning", outcome="failed"))],
    ),
    "failed-queue": (
        [_series("mutaika_queue_messages", "1x70", queue="failed"),
         _series("mutaika_queue_messages", "0x70", B, queue="failed")],
        [_fires("30m", "MutaikaMailInFailedQueue"),
         _fires("65m", "MutaikaMailInFailedQueue", _on(A, "warning", queue="failed"))],
    ),
    "shunted": (
        [_series("mutaika_queue_messages", "0 0 1", queue="shunt"),
         _series("mutaika_queue_messages", "0 0 0", B, queue="shunt")],
        [_fires("1m", "MutaikaMailShunted"),
         _fires("2m", "MutaikaMailShunted", _on(A, "warning", queue="shunt"))],
    ),
    "release-failed": (  # every node reports the shared store's count: one alert, not two
        [_series("mutaika_releases", "0 1", state="failed"),
         _series("mutaika_releases", "0 1", B, state="failed"),
         _series("mutaika_releases", "3 3", state="requested")],
        [_fires("0m", "MutaikaReleaseFailed"),
         _fires("1m", "MutaikaReleaseFailed",
                {"job": "mutaika", "severity": "warning", "state": "failed"})],
    ),
    "own-tempfails": (
        [_series("mutaika_smtp_tempfail_total", "0 0 2", reason="spool-full")],
        [_fires("1m", "MutaikaOwnTempfails"),
         _fires("2m", "MutaikaOwnTempfails", _on(A, "warning", reason="spool-full"))],
    ),
    "spool-space": (  # A: low but not full; B: full; C: near the high-water mark
        [_series("mutaika_spool_free_bytes", f"{300 * MIB}x20"),
         _series("mutaika_spool_min_free_bytes", f"{256 * MIB}x20"),
         _series("mutaika_spool_free_bytes", f"{100 * MIB}x20", B),
         _series("mutaika_spool_min_free_bytes", f"{256 * MIB}x20", B),
         _series("mutaika_spool_pending_bytes", f"{9 * 1024 * MIB}x20", "c:8025"),
         _series("mutaika_spool_high_water_bytes", f"{10 * 1024 * MIB}x20", "c:8025"),
         _series("mutaika_spool_free_bytes", f"{100 * 1024 * MIB}x20", "d:8025"),
         _series("mutaika_spool_min_free_bytes", f"{256 * MIB}x20", "d:8025"),
         _series("mutaika_spool_pending_bytes", f"{1024 * MIB}x20", "d:8025"),
         _series("mutaika_spool_high_water_bytes", f"{10 * 1024 * MIB}x20", "d:8025")],
        [_fires("5m", "MutaikaSpoolDiskLow"),
         _fires("12m", "MutaikaSpoolDiskLow", _on(A, "warning"), _on(B, "warning")),
         _fires("2m", "MutaikaSpoolFull", _on(B, "critical")),
         _fires("12m", "MutaikaSpoolNearHighWater", _on("c:8025", "warning"))],
    ),
    "store-space": (
        [_series("mutaika_store_free_bytes", f"{300 * MIB}x20"),
         _series("mutaika_store_min_free_bytes", f"{256 * MIB}x20"),
         _series("mutaika_store_free_bytes", f"{600 * MIB}x20", B),
         _series("mutaika_store_min_free_bytes", f"{256 * MIB}x20", B)],
        [_fires("12m", "MutaikaStoreDiskLow", _on(A, "warning"))],
    ),
    "audit-chain": (  # B's chain is whole but nobody has checked it for too long
        [_series("mutaika_audit_chain_ok", "1x3 0x100"),
         _series("mutaika_audit_chain_checked_timestamp_seconds", "60+60x3 240x100"),
         _series("mutaika_audit_chain_ok", "1x100", B),
         _series("mutaika_audit_chain_checked_timestamp_seconds", "60x100", B),
         _series("mutaika_audit_chain_ok", "1x100", "c:8025"),
         _series("mutaika_audit_chain_checked_timestamp_seconds", "60+60x100", "c:8025")],
        [_fires("3m", "MutaikaAuditChainBroken"),
         _fires("4m", "MutaikaAuditChainBroken", _on(A, "critical")),
         _fires("90m", "MutaikaAuditChainBroken", _on(A, "critical")),
         _fires("60m", "MutaikaAuditChainUnchecked"),
         _fires("75m", "MutaikaAuditChainUnchecked", _on(B, "warning"))],
    ),
}


def test_every_alert_has_a_scenario() -> None:
    tested = {check["alertname"] for _, checks in SCENARIOS.values() for check in checks
              if check["exp_alerts"]}  # fmt: skip
    assert tested == {rule["alert"] for rule in _rules()}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_alert_fires_on_its_series(name: str, tmp_path: Path) -> None:
    # The annotations' templates are checked by `promtool check rules` above; here they would
    # only make every expected alert repeat its texts, so the rules are tested without them.
    groups = YAML(typ="safe").load(ALERTS.read_text(encoding="utf-8"))["groups"]
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations")
    yaml = YAML()
    yaml.dump({"groups": groups}, tmp_path / "rules.yml")
    series, checks = SCENARIOS[name]
    yaml.dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m",
               "tests": [{"interval": "1m", "input_series": series,
                          "alert_rule_test": checks}]}, tmp_path / "test.yml")  # fmt: skip
    done = _run("test", "rules", "test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
