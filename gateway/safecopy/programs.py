"""Programs on the host that some converters need, found without importing any converter (the
offers of the release plane ask whether a safe copy can be made before anyone asks for one)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.config import SafeCopySettings


def find_soffice(settings: SafeCopySettings) -> str | None:
    """The LibreOffice program to use, or None: configured path, "off", or soffice on PATH."""
    configured = settings.libreoffice.strip()
    if configured.lower() == "off":
        return None
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")
