"""Safe copies and PPAP as the API shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from gateway.api.schemas.quarantine import Item
from gateway.services.safecopy_offer import Offer
from gateway.services.unlock import UnlockOutcome


class SafeCopyOffer(BaseModel):
    item: Item
    kind: str = Field(description="pdf, word, excel, powerpoint, legacy-word, opendocument, "
                                  "image, zip, encrypted-office, csv, text, html, other")
    policy: Literal["none", "on-request", "attach"] = Field(
        description="[safecopy.policy] for the kind")
    available: bool = Field(description="a safe copy of the item can be asked for")
    approval: Literal["self", "approval", "admin"] = Field(
        description="who must agree to a safe-copy release (release.policy.safecopy)")
    unlockable: bool = Field(description="open it first (…/unlock, with its password): its "
                                         "files become items of the mail")
    opened: bool = Field(description="opened already: its files are items with this parent")
    why: str = Field(description="when not available: password-protected, archive, "
                                 "unsupported, policy, no-converter")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "item": {"index": 0, "filename": "請求書.pdf", "declared_type": "application/pdf",
                 "detected_type": "application/pdf", "size": 40211, "sha256": "9f86d0…",
                 "flags": ["active-content"], "reason": "attachment", "detail": "",
                 "parent": None},
        "kind": "pdf", "policy": "on-request", "available": True, "approval": "approval",
        "unlockable": False, "opened": False, "why": "",
    }]})

    @classmethod
    def of(cls, offer: Offer) -> SafeCopyOffer:
        return cls.model_validate({
            "item": Item.of(offer.item), "kind": offer.kind, "policy": offer.policy,
            "available": offer.available, "approval": offer.approval,
            "unlockable": offer.unlockable, "opened": offer.opened, "why": offer.why,
        })


class SafeCopyRequest(BaseModel):
    to: list[str] = Field(default=[], max_length=100, description=(
        "recipients inside smtp.local_domains; empty: the original recipients"))
    comment: str = Field(default="", max_length=2000, description="why (kept with the request)")

    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "請求書の確認"}]})


class UnlockRequest(BaseModel):
    password: SecretStr = Field(max_length=256, description=(
        "the file's password; never stored or logged. Empty for an archive without one"))

    model_config = ConfigDict(json_schema_extra={"examples": [{"password": "Zx82-kL01"}]})


class UnlockResult(BaseModel):
    opened: bool
    already: bool = Field(description="opened before: no password was tried")
    reason: str = Field(description="when not opened: wrong-password, zip-bomb, failed, …")
    detail: str
    notes: list[str] = Field(description="e.g. an archive inside nested too deep to open")
    items: list[Item] = Field(description="what is inside, now items of the mail")

    @classmethod
    def of(cls, outcome: UnlockOutcome) -> UnlockResult:
        return cls(opened=outcome.opened, already=outcome.already, reason=outcome.reason,
                   detail=outcome.detail, notes=list(outcome.notes),
                   items=[Item.of(i) for i in outcome.items])
