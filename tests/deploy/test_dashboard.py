"""deploy/grafana/dashboards/mutaika.json: every query, the variables' included, asks for
metrics the gateway really exports, with labels they carry, through the data source that the
provisioning defines; and every exported metric is on the dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.deploy.exported import Exported
from tests.deploy.promql import problems, series

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "mutaika.json"
# Grafana's own variables that stand for a duration in a range selector
DURATIONS = {"__rate_interval", "__interval", "__range"}
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?:[:.][^}]*)?\}|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"label_values\((.+),\s*(\w+)\s*\)")


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # a collapsed row holds its panels


def _variables() -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in _dashboard()["templating"]["list"]}


def interpolate(expr: str, variables: set[str]) -> str:
    """As Grafana would, with a value for each variable; `$1` and `${1}` are label_replace's."""

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        if name.isdigit():
            return match.group(0)
        if name in DURATIONS:
            return "5m"
        assert name in variables, f"${name} is not a variable of the dashboard"
        return "a"

    return _VARIABLE.sub(value, expr)


def _queries() -> list[tuple[str, str, str]]:
    """(where, query, legend) for every target of every panel."""
    return [(f"{panel['title']} / {target['refId']}", target["expr"],
             target.get("legendFormat", ""))
            for panel in _panels(_dashboard()["panels"])
            for target in panel.get("targets", [])]  # fmt: skip


def test_every_panel_query_names_exported_metrics(exported: dict[str, Exported]) -> None:
    queries = _queries()
    assert len(queries) > 40
    variables = set(_variables())
    found = {where: p for where, expr, legend in queries
             if (p := problems(interpolate(expr, variables), exported, legend))}  # fmt: skip
    assert found == {}


def test_every_variable_query_names_exported_metrics(exported: dict[str, Exported]) -> None:
    variables = _variables()
    assert {"instance", "queue"} <= set(variables)
    for name, variable in variables.items():
        query = variable["query"]["query"] if isinstance(variable["query"], dict) \
            else variable["query"]  # fmt: skip
        assert variable["definition"] == query, name
        match = _LABEL_VALUES.fullmatch(query)
        assert match, f"{name}: {query}"
        selector, label = match.groups()
        assert problems(selector, exported) == [], name
        known = series(selector.split("{", 1)[0], exported)
        assert known is not None and label in known.labels | {"job", "instance"}, name


def test_the_checks_catch_what_they_are_for(exported: dict[str, Exported]) -> None:
    assert problems("sum(rate(mutaika_smtp_accepted_total[5m]))", exported) == []
    assert problems("sum(rate(mutaika_smtp_accepted_total[5m])", exported)  # a bracket short
    assert problems("histogram_quantle(0.9, mutaika_sanitize_seconds_bucket)", exported)
    assert problems("mutaika_smtp_accepted", exported)  # a counter without _total
    assert problems("mutaika_sanitize_seconds", exported)  # a histogram without its part
    assert problems('mutaika_queue_messages{queu="failed"}', exported)  # a label it lacks
    assert problems("rate(mutaika_queue_messages[5m])", exported)  # rate of a gauge
    assert problems("mutaika_releases", exported, legend="{{verdict}}")
    assert problems("mutaika_smtp_rejected_total", exported, legend="{{code}}") == []
    with pytest.raises(AssertionError):
        interpolate('up{instance=~"$instanse"}', {"instance"})


def test_every_exported_metric_is_on_the_dashboard(exported: dict[str, Exported]) -> None:
    text = " ".join(expr for _, expr, _ in _queries())
    used = set(re.findall(r"mutaika_\w+", text))
    used |= {name.removesuffix(part) for name in used
             for part in ("_bucket", "_sum", "_count")}  # fmt: skip
    assert set(exported) - used == set()


def test_everything_reads_the_provisioned_data_source() -> None:
    sources = YAML(typ="safe").load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )["datasources"]
    uid = {s["uid"] for s in sources if s["type"] == "prometheus"}
    assert uid == {"prometheus"}
    dashboard = _dashboard()
    users = [*_panels(dashboard["panels"]), *dashboard["templating"]["list"]]
    users += [t for p in _panels(dashboard["panels"]) for t in p.get("targets", [])]
    for user in users:
        if user.get("type") == "row":
            continue
        assert user["datasource"] == {"type": "prometheus", "uid": "prometheus"}, user


def test_layout_ids_units_and_titles() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "mutaika" and dashboard["editable"] is False
    panels = list(_panels(dashboard["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        taken = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                 for y in range(pos["y"], pos["y"] + pos["h"])}  # fmt: skip
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        cells |= taken
        if panel["type"] == "row":
            continue
        # Japanese titles for the staff, English descriptions that name what is shown
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", panel["title"]), panel["title"]
        assert re.search(r"[A-Za-z]{3,}", panel["description"]), panel["title"]
        unit = panel["fieldConfig"]["defaults"].get("unit", "short")
        names = {re.sub(r"_(bucket|sum|count)$", "", name) for target in panel["targets"]
                 for name in re.findall(r"mutaika_\w+", target["expr"])}  # fmt: skip
        if names and all(name.endswith("_seconds") for name in names):
            assert unit == "s", panel["title"]
        if names and all(name.endswith("_bytes") for name in names):
            assert unit == "bytes", panel["title"]
