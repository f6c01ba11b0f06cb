"""/livez: the process answers. /readyz: the spool and the quarantine can take mail."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from gateway.api.deps import SettingsDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    problems: list[str] = []


def _writable_dir(path: Path) -> str | None:
    if not path.is_dir():
        return f"{path} is missing"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    return None


def _database(path: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0) as conn:
            conn.execute("SELECT 1 FROM quarantine LIMIT 1")
    except sqlite3.Error as exc:
        return f"quarantine database {path}: {exc}"
    return None


@router.get("/livez", response_model=Health)
def livez() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
def readyz(settings: SettingsDep, response: Response) -> Health:
    checks = [
        _writable_dir(settings.spool.directory / "incoming"),
        _writable_dir(settings.spool.directory / "outgoing"),
        _writable_dir(settings.quarantine.directory),
        _database(settings.quarantine.database),
    ]
    problems = [p for p in checks if p]
    if problems:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="unavailable", problems=problems)
    return Health(status="ok")
