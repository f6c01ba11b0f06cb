"""The notice at the end of every body: what was removed, why, and how to get it back."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from gateway.errors import ConfigError
from gateway.pipeline.context import Context
from gateway.pipeline.labels import flag_label, label, reason_label, refusal_label
from gateway.pipeline.links import REQUEST_LINK_MARK
from gateway.pipeline.render import harmless
from gateway.pipeline.textclean import one_line, tidy
from gateway.types import Language, RemovedPart, UrlPolicy, Verdict

_BUILTIN = Path(__file__).resolve().parent.parent / "templates"


@functools.lru_cache(maxsize=8)
def load_template(path: str, language: Language) -> jinja2.Template:
    """The configured template, else the built-in one; cached per process."""
    if path:
        template_path = Path(path)
        directory, name = template_path.parent, template_path.name
    else:
        directory, name = _BUILTIN, f"notice_{language.value}.txt.j2"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=False,  # plain text mail: there is no markup to escape into
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"sanitize.notice_template = {path!r}: {exc}") from None


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def excerpt_view(excerpt: Mapping[str, Any] | None, language: Language, policy: UrlPolicy
                 ) -> dict[str, Any]:  # fmt: skip
    """A document's text as the body's text is shown: invisible characters gone, URLs
    neutralised, markup defanged; never a place for the request link."""
    if not excerpt:
        return {"excerpt": [], "excerpt_truncated": False, "excerpt_note": ""}
    text = tidy(harmless(str(excerpt.get("text", "")), policy, language))
    text = text.replace(REQUEST_LINK_MARK, "")
    refused = str(excerpt.get("refused", ""))
    return {
        "excerpt": text.split("\n") if text else [],
        "excerpt_truncated": bool(text and excerpt.get("truncated")),
        "excerpt_note": "" if text else label(
            language, "excerpt_none", why=refusal_label(language, refused or "empty")),
    }


def part_view(part: RemovedPart, language: Language, policy: UrlPolicy,
              excerpt: Mapping[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    # Names and archive listings come from the sender: `javascript:x.pdf`, `www.evil.example`
    # or `<script>` in a file name must be as harmless here as in the body.
    name = harmless(one_line(part.filename), policy, language)
    return {
        "number": part.index + 1,
        "name": name or label(language, "unnamed"),
        "declared_type": part.declared_type or "-",
        "detected_type": part.detected_type or "-",
        "size": human_size(part.size),
        "flags": "、".join(flag_label(language, f) for f in part.flags)
        if language is Language.JA
        else ", ".join(flag_label(language, f) for f in part.flags),
        "detail": harmless(part.detail, policy, language),
        "sha256": part.sha256,
        **excerpt_view(excerpt, language, policy),
    }


def render_notice(ctx: Context) -> str:
    settings = ctx.settings
    language = settings.language
    report = ctx.report
    notes = list(ctx.notes)
    if settings.url_policy is UrlPolicy.DEFANG and "hxxp" in ctx.body_text:
        notes.append(label(language, "links_neutralized"))
    notes += [harmless(one_line(n), settings.url_policy, language) for n in ctx.extra_notes]
    template = load_template(settings.notice_template, language)
    chars = ctx.excerpter.bounds.chars if ctx.excerpter is not None else 0
    return template.render(
        whole=report.verdict is Verdict.QUARANTINED_WHOLE,
        reason=reason_label(language, report.reason),
        removed=[part_view(p, language, settings.url_policy, report.excerpts.get(p.index))
                 for p in report.removed],
        excerpt_heading=label(language, "excerpt", chars=str(chars)),
        excerpt_more=label(language, "excerpt_more"),
        notes=notes,
        quarantine_id=report.quarantine_id,
        contact=settings.release_contact,
        request_link=REQUEST_LINK_MARK if ctx.request_link and report.quarantine_id else "",
    )


class AppendNotice:
    name = "notice"

    def process(self, ctx: Context) -> None:
        ctx.reader_text = ctx.body_text
        ctx.body_text = f"{ctx.body_text}\n\n{render_notice(ctx)}".lstrip("\n")
