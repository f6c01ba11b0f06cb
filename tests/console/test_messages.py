"""The console's words: both languages hold the same keys, and every key a template or a view
names (literally, or as a prefix plus a state, verdict, queue or role) is there."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.config import ReleasePolicySettings
from gateway.console.web import HERE, messages
from gateway.quarantine import HoldState, ReleaseState
from gateway.safecopy.ppap import IN_ARCHIVE
from gateway.safecopy.runner import CONVERTERS
from gateway.services.principal import Role
from gateway.spool import Queue
from gateway.types import Verdict

_LITERAL = re.compile(r"""\bt\(\s*["']([a-z_.0-9-]+)["'](?!\s*~)""")  # not a prefix
_MESSAGE_ARG = re.compile(r'"((?:refused|problem|unlock)\.[a-z_]+)"')


def test_both_languages_have_the_same_keys() -> None:
    tables = messages()
    assert set(tables["ja"]) == set(tables["en"])
    for lang, table in tables.items():
        for key, text in table.items():
            assert text.strip(), (lang, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(
                re.findall(r"\{(\w+)\}", tables["ja"][key])), (lang, key)


def test_every_key_named_is_there() -> None:
    keys = set(messages()["ja"])
    named: set[str] = set()
    for path in [*HERE.glob("templates/**/*.html"), *HERE.glob("views/*.py"), HERE / "web.py",
                 HERE / "unlocking.py"]:  # fmt: skip
        text = path.read_text(encoding="utf-8")
        named |= set(_LITERAL.findall(text)) | set(_MESSAGE_ARG.findall(text))
    assert named and named <= keys, sorted(named - keys)
    for prefix, words in {
        "state.": [str(s) for s in ReleaseState], "hold.": [str(s) for s in HoldState],
        "verdict.": [str(v) for v in Verdict], "queue.": [str(q) for q in Queue],
        "role.": [str(r) for r in Role], "level.": ["self", "approval", "admin"],
        "what.": ["original", "items", "safecopy"], "login.failed_": ["token", "csrf"],
        "copy.": [str(kind) for kind in CONVERTERS],  # what each safe copy will be
        "why.": ["password-protected", "archive", "unsupported", "policy", "no-converter",
                 "opened"],
        "error.s": ["400", "403", "404", "409", "410", "422", "500", "503"],
        "reason.": [f.replace("_", "-") for f in ReleasePolicySettings.model_fields
                    if f in ("attachment", "inline_image", "signature", "calendar", "tnef",
                             "tnef_item", "encrypted", "embedded")] + [IN_ARCHIVE],
    }.items():  # fmt: skip
        missing = [w for w in words if prefix + w not in keys]
        assert not missing, (prefix, missing)
    assert Path(HERE / "static" / "console.js").is_file()
