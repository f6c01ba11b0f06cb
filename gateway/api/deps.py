"""Dependencies shared by the routers, read from the app state: settings, spool, store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.config import Settings
from gateway.quarantine import QuarantineStore
from gateway.spool import Spool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_spool(request: Request) -> Spool:
    spool: Spool = request.app.state.spool
    return spool


def get_store(request: Request) -> QuarantineStore:
    store: QuarantineStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
SpoolDep = Annotated[Spool, Depends(get_spool)]
StoreDep = Annotated[QuarantineStore, Depends(get_store)]
