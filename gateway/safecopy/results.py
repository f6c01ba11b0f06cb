"""What the safe-copy library answers: a copy, a text excerpt, unlocked contents, or a reason.

Every refusal carries a stable code (for the notice's wording in either language and for
metrics) and an English detail for administrators. A detail never quotes a password or an
exception message from a parser: only counts, limits and library class names.
"""

from __future__ import annotations

import enum
import io
import pickle
from dataclasses import dataclass, field
from typing import Any

from gateway.types import RemovedPart


class Reason(enum.StrEnum):
    UNSUPPORTED = "unsupported"  # no converter for this type
    POLICY = "policy"  # the site's policy turns this type's safe copies off
    NO_CONVERTER = "no-converter"  # the type needs a program this host does not have
    TOO_LARGE = "too-large"  # input or output bytes past a limit
    TOO_MANY_PAGES = "too-many-pages"
    TOO_MANY_PIXELS = "too-many-pixels"
    ZIP_BOMB = "zip-bomb"  # entries, total size, ratio or nesting past a limit
    TIMEOUT = "timeout"  # wall time or CPU time
    MEMORY = "memory"
    CRASHED = "crashed"  # the converter process died
    FAILED = "failed"  # the library refused the file (damaged or not what it claims)
    PASSWORD_PROTECTED = "password-protected"  # needs a password first
    WRONG_PASSWORD = "wrong-password"
    EMPTY = "empty"  # nothing left to show


@dataclass(frozen=True, slots=True)
class NoSafeCopy:
    reason: Reason
    detail: str  # English, for the administrator's view; never a password

    def __bool__(self) -> bool:  # `if result:` reads as "got something"
        return False


@dataclass(frozen=True, slots=True)
class SafeCopy:
    data: bytes
    filename: str  # the original's name with the new type's extension
    media_type: str
    notes: tuple[str, ...] = ()  # what was removed or changed, in English


@dataclass(frozen=True, slots=True)
class Excerpt:
    text: str  # plain text: URLs and invisible characters are neutralised by the caller
    truncated: bool  # the file holds more text than was taken


@dataclass(frozen=True, slots=True)
class UnlockedItem:
    part: RemovedPart  # name as shown (path inside the archive), types, size, sha256, flags
    data: bytes


@dataclass(frozen=True, slots=True)
class Unlocked:
    items: tuple[UnlockedItem, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenedItem:
    part: RemovedPart
    data: bytes
    copy: SafeCopy | NoSafeCopy


@dataclass(frozen=True, slots=True)
class Opened:
    """A password-protected file opened: every item inside with its safe copy or reason."""

    items: tuple[OpenedItem, ...]
    notes: tuple[str, ...] = field(default=())


class Refusal(Exception):  # an outcome, not an error of ours
    """Raised inside a converter to end it with no safe copy and a clear reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail

    def outcome(self) -> NoSafeCopy:
        return NoSafeCopy(self.reason, self.detail)


# The converter process parsed hostile bytes: what it sends back is read as data, never as
# code. pickle is used only with this allowlist of our own value types (the "restricting
# globals" recipe of the pickle documentation), so a subverted converter cannot make the
# parent import or call anything else.
_ALLOWED = {
    ("gateway.safecopy.results", name)
    for name in ("SafeCopy", "NoSafeCopy", "Reason", "Excerpt", "Unlocked", "UnlockedItem")
} | {("gateway.types", "RemovedPart")}


class _ResultUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a result type")
        return super().find_class(module, name)


def dump_result(result: object) -> bytes:
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def load_result(raw: bytes) -> object:
    return _ResultUnpickler(io.BytesIO(raw)).load()
