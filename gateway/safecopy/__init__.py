"""Safe copies of attachments (CDR), text excerpts and PPAP, behind SafeCopyRunner.

    runner = SafeCopyRunner(settings.safecopy)
    runner.convert(data, filename, detected_type)   -> SafeCopy | NoSafeCopy
    runner.excerpt(data, filename, detected_type)   -> Excerpt | NoSafeCopy
    runner.unlock(data, filename, detected_type, password)          -> Unlocked | NoSafeCopy
    runner.open_protected(data, filename, detected_type, password)  -> Opened | NoSafeCopy
    password_candidates(text_of_a_later_mail)       -> [str, ...]
    policy_for(settings.safecopy, classify(detected_type, filename)) -> none|on-request|attach

Converters run in confined processes of their own (gateway.safecopy.child); this package's
import pulls in none of the converter libraries.
"""

from gateway.safecopy.kinds import Kind, classify, policy_for
from gateway.safecopy.password_notice import password_candidates
from gateway.safecopy.results import (
    Excerpt,
    NoSafeCopy,
    Opened,
    OpenedItem,
    Reason,
    SafeCopy,
    Unlocked,
    UnlockedItem,
)
from gateway.safecopy.runner import SafeCopyRunner

__all__ = [
    "Excerpt", "Kind", "NoSafeCopy", "Opened", "OpenedItem", "Reason", "SafeCopy",
    "SafeCopyRunner", "Unlocked", "UnlockedItem", "classify", "password_candidates",
    "policy_for",
]  # fmt: skip
