"""The quarantine store: see gateway.quarantine.store, its only door."""

from gateway.quarantine.audit import Verification
from gateway.quarantine.audit_check import ChainState
from gateway.quarantine.db import StoreUnavailable
from gateway.quarantine.models import (
    HoldState,
    Page,
    QuarantineFilter,
    QuarantineRecord,
    StoredItem,
)
from gateway.quarantine.records import (
    CLOSED,
    IN_FLIGHT,
    AuditEntry,
    AuditFilter,
    ReleaseEvent,
    ReleaseFilter,
    ReleaseRecord,
    ReleaseState,
    TokenRecord,
)
from gateway.quarantine.store import QuarantineStore
from gateway.quarantine.unit import Tx

__all__ = [
    "CLOSED", "IN_FLIGHT", "AuditEntry", "AuditFilter", "ChainState", "HoldState", "Page",
    "QuarantineFilter", "QuarantineRecord", "QuarantineStore", "ReleaseEvent", "ReleaseFilter",
    "ReleaseRecord",
    "ReleaseState", "StoreUnavailable", "StoredItem", "TokenRecord", "Tx", "Verification",
]  # fmt: skip
