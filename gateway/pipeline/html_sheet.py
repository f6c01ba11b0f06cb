"""The document's <style> sheets applied to its elements: which declarations reach which element.

tinycss2 parses the sheets, cssselect turns each selector into XPath and libxml2 evaluates it
on the tree. Only declarations that can change visibility are kept (gateway.pipeline.
html_style). Rules under a conditional @media are not applied: the message is judged as a
reader sees it in a client that applies no media query (Outlook on Windows), so mobile-only
variants stay hidden and desktop-only ones stay shown.

The work is bounded for a hostile sheet (100,000 rules, a tree 2,000 deep): its text is read
up to MAX_SHEET_CHARS; a selector naming a class or id absent from the document is skipped
untranslated; at most MAX_SELECTORS are evaluated, each charged its estimated cost (elements
times the depth or sibling count its combinators may walk: libxml2 evaluates `div div` on a
deep chain in cubic time) against WORK_BUDGET. A rule that could hide text but is left out
makes the result `uncertain`, and the reader is told.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cssselect
import tinycss2
from cssselect import parser as selectors
from lxml import etree

from gateway.pipeline.html_look import Priority
from gateway.pipeline.html_style import can_hide, declarations

MAX_SHEET_CHARS = 128 * 1024
MAX_SELECTORS = 2000  # evaluated per document
WORK_BUDGET = 20_000_000  # estimated node visits by libxml2's XPath for one document
_UNCONDITIONAL_MEDIA = frozenset(("all", "screen", "only"))
_WALKING_AXES = ("descendant::", "ancestor", "-sibling::", "contains(.")
_PROBES = (16, 64, 256, 1024)
_TRANSLATOR = cssselect.HTMLTranslator()


@dataclass(slots=True)
class _Rule:
    selector: Any  # cssselect's parsed selector; translated when a document first needs it
    order: int
    specificity: tuple[int, int, int]
    classes: frozenset[str]  # named by the selector: all must be in the document
    ids: frozenset[str]
    props: tuple[tuple[str, object, bool], ...]
    hides: bool
    xpath: etree.XPath | None = None
    walks: int = 0  # axes that visit more than the candidate itself

    def translate(self) -> etree.XPath | None:
        """The selector as XPath; None when cssselect or libxml2 cannot express it."""
        if self.xpath is None:
            try:
                path = _TRANSLATOR.selector_to_xpath(self.selector, prefix="//")
                self.xpath = etree.XPath(path)
            except (cssselect.SelectorError, etree.XPathError):
                return None
            self.walks = sum(path.count(axis) for axis in _WALKING_AXES)
        return self.xpath


@dataclass(slots=True)
class _Sheet:
    rules: list[_Rule] = field(default_factory=list)
    unreadable_hiding: int = 0  # hiding rules in valid CSS that cssselect cannot parse


@dataclass(slots=True)
class SheetStyles:
    props: dict[etree._Element, dict[str, tuple[Priority, object]]] = field(default_factory=dict)
    uncertain: bool = False
    warnings: list[str] = field(default_factory=list)


def _applies(media: Sequence[Any]) -> bool:
    """A media query list holds for a screen of any size: one of its queries has no condition."""
    queries: list[list[Any]] = [[]]
    for token in media:
        if token.type == "literal" and token.value == ",":
            queries.append([])
        elif token.type not in ("whitespace", "comment"):
            queries[-1].append(token)
    return any(
        all(t.type == "ident" and t.lower_value in _UNCONDITIONAL_MEDIA for t in query)
        for query in queries
    )


def _key(tree: Any) -> tuple[frozenset[str], frozenset[str]]:
    """Classes and ids the selector requires: each compound of it must match some element, so
    a name absent from the document means no match. (What :not() or :is() name is no need.)"""
    classes, ids = set(), set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, selectors.CombinedSelector):
            pending += [node.selector, node.subselector]
            continue
        if isinstance(node, selectors.Class):
            classes.add(node.class_name)
        elif isinstance(node, selectors.Hash):
            ids.add(node.id)
        inner = getattr(node, "selector", None)
        if inner is not None and not isinstance(node, selectors.Element):
            pending.append(inner)
    return frozenset(classes), frozenset(ids)


def _rules(rules: Iterable[Any], sheet: _Sheet, order: list[int]) -> None:
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
            if _applies(rule.prelude):
                nested = tinycss2.parse_rule_list(rule.content, True, True)
                _rules(nested, sheet, order)
            continue
        if rule.type != "qualified-rule":
            continue
        props = tuple(declarations(rule.content))
        if not props:
            continue
        hides = any(can_hide(prop, value) for prop, value, _ in props)
        try:
            parsed = cssselect.parse(tinycss2.serialize(rule.prelude))
        except cssselect.SelectorSyntaxError:
            continue  # a browser drops a rule whose selector it cannot read: no effect either
        except cssselect.SelectorError:
            sheet.unreadable_hiding += hides
            continue
        for selector in parsed:
            order[0] += 1
            if selector.pseudo_element is not None:  # styles generated content, not the element
                continue
            classes, ids = _key(selector.parsed_tree)
            specificity = selector.specificity()
            sheet.rules.append(_Rule(selector, order[0], specificity, classes, ids, props, hides))


@functools.lru_cache(maxsize=32)  # a sender's template repeats its sheet in every mail
def _compile(text: str) -> _Sheet:
    sheet = _Sheet()
    _rules(tinycss2.parse_stylesheet(text, True, True), sheet, [0])
    return sheet


def _texts(tops: Sequence[etree._Element], warnings: list[str]) -> tuple[list[str], bool]:
    texts, total, cut = [], 0, False
    for top in tops:
        for style in top.iter("style"):
            media = style.get("media")
            if media and not _applies(tinycss2.parse_component_value_list(media)):
                continue
            text = style.text or ""
            if total + len(text) > MAX_SHEET_CHARS:
                text, cut = text[: MAX_SHEET_CHARS - total], True
            total += len(text)
            texts.append(text)
            if cut:
                warnings.append(f"css: style sheets read up to {MAX_SHEET_CHARS} characters")
                return texts, True
    return texts, False


def _bound(tree: etree._ElementTree, exceeds: str) -> int:
    """The smallest probe the document stays within (`exceeds` names an element past it)."""
    for bound in _PROBES:
        if not tree.xpath(f"boolean({exceeds.format(past=bound + 1, path='/*' * (bound + 1))})"):
            return bound
    return 1 << 20


class _Budget:
    def __init__(self, tree: etree._ElementTree) -> None:
        self.tree = tree
        self.left = WORK_BUDGET
        self.elements = int(tree.xpath("count(//*)"))
        self._reach = 0

    def reach(self) -> int:
        # How far a walking axis can go from one element: the deepest nesting or the most
        # children of one parent. Each probe is one linear XPath pass.
        if not self._reach:
            depth = _bound(self.tree, "{path}")
            width = _bound(self.tree, "//*[{past}]")
            self._reach = max(depth, width)
        return self._reach

    def take(self, walks: int) -> bool:
        cost = self.elements * (1 + walks * self.reach()) if walks else self.elements
        if cost > self.left:
            return False
        self.left -= cost
        return True


def _apply(rules: list[tuple[int, _Rule]], tree: etree._ElementTree, found: SheetStyles) -> int:
    """Each rule's declarations onto the elements it selects; the hiding rules left out
    (a selector cssselect or libxml2 cannot express, or past a bound)."""
    classes = {name for value in tree.xpath("//@class") for name in str(value).split()}
    ids = {str(value) for value in tree.xpath("//@id")}
    budget = _Budget(tree)
    over = evaluated = 0
    for index, rule in rules:
        if not rule.classes <= classes or not rule.ids <= ids:
            continue
        evaluated += 1
        xpath = rule.translate() if evaluated <= MAX_SELECTORS else None
        if xpath is None or not budget.take(rule.walks):
            over += rule.hides
            continue
        for element in xpath(tree):
            mine = found.props.setdefault(element, {})
            for prop, value, is_important in rule.props:
                priority = (int(is_important), 0, *rule.specificity, index << 32 | rule.order)
                if prop not in mine or priority >= mine[prop][0]:
                    mine[prop] = (priority, value)
    return over


def sheet_styles(tops: Sequence[etree._Element]) -> SheetStyles:
    """The declarations each element gets from the document's style sheets."""
    found = SheetStyles()
    texts, cut = _texts(tops, found.warnings)
    sheets = [_compile(text) for text in texts if text.strip()]
    rules = [(index, rule) for index, sheet in enumerate(sheets) for rule in sheet.rules]
    left_out = sum(sheet.unreadable_hiding for sheet in sheets)
    if rules:
        left_out += _apply(rules, tops[0].getroottree(), found)
    if left_out:
        found.warnings.append(
            f"css: {left_out} hiding rule(s) not applied (a selector we cannot evaluate, or past"
            " the work bound); hidden text may be shown"
        )
    found.uncertain = cut or bool(left_out)
    return found
