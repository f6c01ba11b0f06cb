"""Dependencies shared by the routers: settings, spool, store, the services, and who is asking.

Every route of /api/v1 takes PrincipalDep: a request without a valid bearer token is answered
401 and written to the audit log. What a role may do is checked by the services themselves, so
the CLI and the API refuse alike.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.config import Settings
from gateway.quarantine import QuarantineStore
from gateway.services.container import Services
from gateway.services.principal import Principal
from gateway.spool import Spool

_bearer = HTTPBearer(auto_error=False, description="`mutaika token create --role R --name N`")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_spool(request: Request) -> Spool:
    spool: Spool = request.app.state.spool
    return spool


def get_store(request: Request) -> QuarantineStore:
    store: QuarantineStore = request.app.state.store
    return store


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


SettingsDep = Annotated[Settings, Depends(get_settings)]
SpoolDep = Annotated[Spool, Depends(get_spool)]
StoreDep = Annotated[QuarantineStore, Depends(get_store)]
ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(
    request: Request, services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    principal = services.tokens.authenticate(credentials.credentials) if credentials else None
    if principal is None:
        why = "no bearer token" if credentials is None else "unknown or revoked token"
        client = request.client.host if request.client else ""
        services.guard.unauthenticated(f"{request.method} {request.url.path}"[:64],
                                       request.url.path[:500], why, client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, why,
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
