"""The quarantine store: see gateway.quarantine.store, its only door."""

from gateway.quarantine.db import StoreUnavailable
from gateway.quarantine.models import HoldState, Page, QuarantineFilter, QuarantineRecord
from gateway.quarantine.store import QuarantineStore

__all__ = ["HoldState", "Page", "QuarantineFilter", "QuarantineRecord", "QuarantineStore",
           "StoreUnavailable"]
