"""The order of the stages: the one place to read how a mail is sanitized."""

from __future__ import annotations

from gateway.pipeline.base import Stage
from gateway.pipeline.build import Build
from gateway.pipeline.excerpts import Excerpts
from gateway.pipeline.limits import CheckLimits
from gateway.pipeline.notice import AppendNotice
from gateway.pipeline.parse import Parse
from gateway.pipeline.render import Render
from gateway.pipeline.structure import Structure

STAGES: tuple[Stage, ...] = (
    CheckLimits(),  # size and header bounds on the raw bytes
    Parse(),  # MIME tree, bounded in depth and part count
    Structure(),  # body pieces in reading order; every other part removed and described
    Render(),  # decode charsets, HTML to text, cut embedded files, defang URLs
    Excerpts(),  # the first characters of removed documents, when the caller gave an excerpter
    AppendNotice(),  # what was removed, why, and the quarantine ID
    Build(),  # allowlisted headers + one text/plain part
)

# After QuarantineWhole: nothing of the content crosses, only the headers and the notice.
WHOLE_STAGES: tuple[Stage, ...] = (AppendNotice(), Build())
