"""/api/v1/tokens: admins list, create and revoke API tokens (the console's tokens page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.schemas.common import AUTHED, NOT_FOUND
from gateway.api.schemas.operations import NewToken, Token, TokenCreate

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=AUTHED)


@router.get("", response_model=list[Token], summary="Every token, revoked ones included")
def listing(services: ServicesDep, principal: PrincipalDep) -> list[Token]:
    return [Token.of(t) for t in services.tokens.listing(principal)]


@router.post("", response_model=NewToken, status_code=status.HTTP_201_CREATED,
             summary="Make a token; its secret is in this answer only")
def create(services: ServicesDep, principal: PrincipalDep, body: TokenCreate) -> NewToken:
    made = services.tokens.create(principal, role=body.role, name=body.name)
    return NewToken(**Token.of(made.record).model_dump(), token=made.token)


@router.delete("/{token_id}", response_model=Token, responses=NOT_FOUND,
               summary="Revoke a token at once")
def revoke(services: ServicesDep, principal: PrincipalDep,
           token_id: Annotated[str, Path(min_length=1, max_length=16)]) -> Token:
    return Token.of(services.tokens.revoke(principal, token_id))
