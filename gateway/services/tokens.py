"""API tokens: made here, shown once, kept only as a hash.

A token reads `mutaika_<id>_<secret>`. The id is public (lists, audit entries); the secret is
32 random bytes (secrets.token_urlsafe), so a plain SHA-256 of it is enough: nothing can be
guessed or precomputed against that much entropy, and no slow password hash is needed. The
stored hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from gateway.quarantine import QuarantineStore, TokenRecord
from gateway.services.audit import Guard, record, store_errors
from gateway.services.errors import Invalid, NotFound
from gateway.services.principal import TOKEN_ROLES, Action, Principal

PREFIX = "mutaika_"
_ID_BYTES = 6
MAX_NAME = 100


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_name(token: TokenRecord) -> str:
    return f"token:{token.id}:{token.name}"


def token_id(principal: Principal) -> str:
    """The public ID of a token's principal ("token:<id>:<name>"); "" for any other."""
    kind, _, rest = principal.name.partition(":")
    return rest.partition(":")[0] if kind == "token" else ""


def split(token: str) -> tuple[str, str] | None:
    """(id, secret) of a string shaped like our tokens, else None."""
    if not token.startswith(PREFIX):
        return None
    token_id, sep, secret = token.removeprefix(PREFIX).partition("_")
    if not sep or not token_id.isalnum() or not secret or len(token) > 200:
        return None
    return token_id, secret


@dataclass(frozen=True, slots=True)
class NewToken:
    record: TokenRecord
    token: str  # the only time the secret exists outside the holder's hands


class TokenService:
    def __init__(self, store: QuarantineStore, guard: Guard) -> None:
        self._store = store
        self._guard = guard

    def create(self, principal: Principal, *, role: str, name: str) -> NewToken:
        self._guard.check(principal, Action.TOKEN_MANAGE, "tokens")
        role_ = next((r for r in TOKEN_ROLES if r == role), None)
        if role_ is None:
            raise Invalid(f"unknown role {role!r}: one of {', '.join(TOKEN_ROLES)}")
        name = name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise Invalid(f"a token needs a printable name of 1 to {MAX_NAME} characters")
        token_id = secrets.token_hex(_ID_BYTES)
        secret = secrets.token_urlsafe(32)
        row = TokenRecord(token_id, name, str(role_), _digest(secret), time.time(),
                          principal.name, None)  # fmt: skip
        with store_errors(), self._store.transaction() as tx:
            tx.tokens.insert(row)
            record(tx, principal, "token.create", token_id, name=name, token_role=str(role_))
        return NewToken(row, f"{PREFIX}{token_id}_{secret}")

    def listing(self, principal: Principal) -> list[TokenRecord]:
        self._guard.check(principal, Action.TOKEN_MANAGE, "tokens")
        with store_errors(), self._store.snapshot() as tx:
            return tx.tokens.listing()

    def revoke(self, principal: Principal, token_id: str) -> TokenRecord:
        self._guard.check(principal, Action.TOKEN_MANAGE, token_id)
        with store_errors(), self._store.transaction() as tx:
            if not tx.tokens.revoke(token_id, time.time()):
                raise NotFound(f"no token {token_id!r} that is not revoked already")
            record(tx, principal, "token.revoke", token_id)
            found = tx.tokens.get(token_id)
        assert found is not None
        return found

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None otherwise (the caller audits)."""
        parts = split(token)
        if parts is None:
            return None
        token_id, secret = parts
        with store_errors(), self._store.snapshot() as tx:
            found = tx.tokens.get(token_id)
        if found is None or found.revoked_at is not None:
            _digest(secret)  # the same work either way
            return None
        if not hmac.compare_digest(found.secret_sha256, _digest(secret)):
            return None
        return _principal(found)

    def principal_of(self, token_id: str) -> Principal | None:
        """A console session's principal, looked up on every request: revoking the token ends
        its sessions at once."""
        with store_errors(), self._store.snapshot() as tx:
            found = tx.tokens.get(token_id)
        return _principal(found) if found is not None and found.revoked_at is None else None


def _principal(token: TokenRecord) -> Principal | None:
    role = next((r for r in TOKEN_ROLES if r == token.role), None)
    return Principal(principal_name(token), role) if role is not None else None
