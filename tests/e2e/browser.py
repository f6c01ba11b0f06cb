"""A real headless Chromium for the console's browser tests and screenshots: Debian's chromium
package (scripts/setup.sh dev installs it) driven by Playwright through its executable path.
Playwright's own browser downloads are never used."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path(os.environ.get("MUTAIKA_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}


class NoBrowser(RuntimeError):
    """No Chromium or no Playwright here: the message says what to install."""


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise NoBrowser("the playwright package is missing: scripts/setup.sh dev installs it "
                        "(the dev extra)") from None
    if not os.access(CHROMIUM, os.X_OK):
        raise NoBrowser(f"no Chromium at {CHROMIUM}: scripts/setup.sh dev installs Debian's "
                        "chromium package (as root)")
    with sync_playwright() as driver:
        try:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                             headless=True)  # fmt: skip
        except Error as error:
            raise NoBrowser(f"Chromium at {CHROMIUM} does not start: {error}") from None
        try:
            yield browser
        finally:
            browser.close()
