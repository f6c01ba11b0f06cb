"""A PromQL query judged against what the gateway exports: it parses (Rust's promql-parser, the
grammar and function list of Prometheus), names only exported series, matches only labels
those series carry, and applies rate()/increase() only to counters."""

from __future__ import annotations

import re
from typing import Any

import promql_parser

from tests.deploy.exported import Exported

# Labels Prometheus adds to every series it scrapes
TARGET_LABELS = frozenset({"job", "instance"})
# Prometheus's own series about each scrape
PROMETHEUS_SERIES = {"up": Exported("gauge", frozenset())}
COUNTER_FUNCTIONS = {"rate", "irate", "increase", "resets"}
HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")
_LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def series(name: str, exported: dict[str, Exported]) -> Exported | None:
    """The series a selector names: a counter (…_total), a gauge, or a histogram's part."""
    found = PROMETHEUS_SERIES.get(name) or exported.get(name)
    if found is not None:
        return None if found.kind == "histogram" else found  # a histogram is read by its parts
    for part in HISTOGRAM_PARTS:
        base = exported.get(name.removesuffix(part))
        if name.endswith(part) and base is not None and base.kind == "histogram":
            extra = {"le"} if part == "_bucket" else set()
            return Exported("counter", base.labels | extra)
    return None


def problems(expr: str, exported: dict[str, Exported], legend: str = "") -> list[str]:
    """What is wrong with one query (an empty list when nothing is)."""
    try:
        tree = promql_parser.parse(expr)
    except ValueError as error:
        return [f"does not parse: {error}"]
    found: list[str] = []
    labels: set[str] = set(TARGET_LABELS)

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name
            known = series(name, exported) if name else None
            if known is None:
                found.append(f"{name!r} is not a series mutaika exports")
                return
            labels.update(known.labels)
            for matcher in node.matchers.matchers:
                if matcher.name not in known.labels | TARGET_LABELS:
                    found.append(f"{name} has no label {matcher.name!r}")
        elif isinstance(node, promql_parser.Call):
            if node.func.name == "label_replace":
                labels.add(node.args[1].val)  # the label it makes
            if node.func.name in COUNTER_FUNCTIONS:
                argument = node.args[0]
                if isinstance(argument, promql_parser.MatrixSelector):
                    name = argument.vector_selector.name
                    known = series(name, exported)
                    if known is not None and known.kind != "counter":
                        found.append(f"{node.func.name}() of {name}, a {known.kind}")

    promql_parser.walk(tree, pre_visit=visit)
    found += [f"the legend names {label!r}, which the query does not have"
              for label in _LEGEND_LABEL.findall(legend) if label not in labels]  # fmt: skip
    return found
