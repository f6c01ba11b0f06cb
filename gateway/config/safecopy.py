"""Settings of safe copies, text excerpts and PPAP: [safecopy]."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gateway.config.base import Section

SafeCopyPolicy = Literal["none", "on-request", "attach"]


class SafeCopyPolicySettings(Section):
    """Per type: no safe copy, one staff may request, or one attached to the sanitized mail."""

    pdf: SafeCopyPolicy = "on-request"  # pixel-rebuilt PDF
    office: SafeCopyPolicy = "on-request"  # docx/xlsx/pptx, macros and links removed
    legacy_office: SafeCopyPolicy = "on-request"  # doc/xls/ppt rendered to PDF (LibreOffice)
    opendocument: SafeCopyPolicy = "on-request"  # odt/ods/odp rendered to PDF (LibreOffice)
    image: SafeCopyPolicy = "on-request"  # re-encoded, metadata dropped


class SafeCopyLimitsSettings(Section):
    max_input_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_output_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=300, gt=0)  # more: no safe copy (never a partial one)
    max_page_pixels: int = Field(default=9_000_000, gt=0)  # rendered page; larger pages scale down
    max_image_pixels: int = Field(default=50_000_000, gt=0)  # an input image
    max_seconds: float = Field(default=60.0, gt=0)  # wall time of one conversion
    max_cpu_seconds: int = Field(default=60, gt=0)
    # Address space of one converter; below ~256 MiB the preloaded libraries alone do not fit.
    max_memory_bytes: int = Field(default=2 * 1024**3, ge=256 * 1024**2)
    max_zip_entries: int = Field(default=1000, gt=0)
    max_zip_total_bytes: int = Field(default=200 * 1024 * 1024, gt=0)  # uncompressed, all levels
    max_zip_ratio: int = Field(default=200, gt=0)  # uncompressed / compressed, per entry
    max_zip_depth: int = Field(default=2, ge=0)  # archives opened inside an archive


class SafeCopySettings(Section):
    excerpt_chars: int = Field(default=500, ge=0)  # text shown under an attachment; 0: none
    pdf_dpi: int = Field(default=150, ge=36, le=600)
    pdf_text_layer: bool = True  # invisible text from the original, for search and copy
    libreoffice: str = ""  # soffice for legacy Office/OpenDocument; "": found on PATH; "off"
    max_concurrent: int = Field(default=2, ge=1, le=64)  # converter processes at once
    max_password_candidates: int = Field(default=10, ge=1, le=100)
    # Excerpts in the notice: bounded per mail, so a mail of many documents costs no more
    # than this; past a bound the part gets a short note instead of its text.
    excerpt_max_parts: int = Field(default=10, ge=0)
    excerpt_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)  # one part
    excerpt_seconds: float = Field(default=5.0, gt=0)  # every excerpt of one mail together
    # PPAP: wrong passwords allowed within the window, per mail and per person asking
    unlock_window_seconds: float = Field(default=3600.0, gt=0)
    unlock_failures_per_mail: int = Field(default=10, ge=1)
    unlock_failures_per_principal: int = Field(default=30, ge=1)
    # The second mail of PPAP: a notice from the same sender to the same recipient this soon
    # after a mail with a protected file has its candidate passwords tried on that file.
    password_notice_window_seconds: float = Field(default=3600.0, ge=0)  # 0: never
    password_trial_seconds: float = Field(default=10.0, gt=0)  # all tries for one notice
    policy: SafeCopyPolicySettings = SafeCopyPolicySettings()
    limits: SafeCopyLimitsSettings = SafeCopyLimitsSettings()
