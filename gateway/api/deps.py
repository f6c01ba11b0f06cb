"""Dependencies shared by the routers: the validated settings, read from the app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
