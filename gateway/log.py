"""One structured line per message state change: what an operator greps for "where is my mail?".

Lines are JSON objects on the `mutaika.message` logger, keyed by queue_id, so
`grep '"queue_id": "Q..."'` or `jq 'select(.message_id==...)'` follows one mail through.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

MESSAGE_LOGGER = logging.getLogger("mutaika.message")


def log_event(event: str, queue_id: str, **fields: Any) -> None:
    """Log one state change of one message, e.g. log_event("accepted", qid, sender=...)."""
    if not MESSAGE_LOGGER.isEnabledFor(logging.INFO):
        return
    record = {"ts": round(time.time(), 3), "event": event, "queue_id": queue_id}
    record.update({k: v for k, v in fields.items() if v is not None})
    MESSAGE_LOGGER.info(json.dumps(record, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every plugin and migration step at INFO: one line per start is enough.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
