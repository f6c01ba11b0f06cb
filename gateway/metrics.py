"""Every Prometheus object in one place, named per the Prometheus conventions.

The SMTP listeners and sanitizer workers run in several processes; app.py sets
PROMETHEUS_MULTIPROC_DIR before any of them start so /metrics sees them all.
"""

from prometheus_client import Counter, Histogram

_SIZE_BUCKETS = (1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 2.5e7, 1e8)
_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

SMTP_CONNECTIONS = Counter("mutaika_smtp_connections_total", "SMTP sessions opened")
SMTP_ACCEPTED = Counter("mutaika_smtp_accepted_total", "Messages answered 250 after spooling")
SMTP_REJECTED = Counter(
    "mutaika_smtp_rejected_total",
    "Replies refusing a client (4xx/5xx not caused by us), by code and reason",
    ["code", "reason"],
)
SMTP_TEMPFAIL = Counter(
    "mutaika_smtp_tempfail_total", "Messages answered 4xx for our own failure", ["reason"]
)
SMTP_MESSAGE_BYTES = Histogram(
    "mutaika_smtp_message_bytes", "Size of accepted messages", buckets=_SIZE_BUCKETS
)

SPOOL_SHUNTED = Counter("mutaika_spool_shunted_total", "Poison messages moved aside")

SANITIZE_SECONDS = Histogram(
    "mutaika_sanitize_seconds", "Time to sanitize one message", buckets=_LATENCY_BUCKETS
)
SANITIZE_VERDICTS = Counter("mutaika_sanitize_verdicts_total", "Sanitizer verdicts", ["verdict"])
SANITIZE_REMOVED_PARTS = Counter(
    "mutaika_sanitize_removed_parts_total", "Parts removed, by reason and detected type",
    ["reason", "type"],
)
SANITIZE_TIMEOUTS = Counter(
    "mutaika_sanitize_timeouts_total", "Sanitizer jobs killed at the time limit"
)

DELIVERY_ATTEMPTS = Counter(
    "mutaika_delivery_attempts_total", "Delivery attempts, by outcome", ["outcome"]
)
DELIVERY_SECONDS = Histogram(
    "mutaika_delivery_seconds", "Time of one delivery attempt", buckets=_LATENCY_BUCKETS
)
# A deferred mail waits minutes to days (delivery.retry_schedule_seconds, max_age_seconds): the
# delay staff feel must stay measurable past the first minute.
END_TO_END_SECONDS = Histogram(
    "mutaika_end_to_end_seconds", "From 250 to delivered",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400,
             5 * 86400),
)

RELEASE_APPROVAL_SECONDS = Histogram(
    "mutaika_release_approval_seconds", "From a release request to its approval by a second person",
    buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400),
)
QUARANTINE_PURGED = Counter(
    "mutaika_quarantine_purged_total", "Quarantined mails removed by the retention purge"
)

# Safe copies, excerpts and PPAP (issue 11): outcomes are "made"/"taken"/"opened" or a
# gateway.safecopy Reason word, a bounded set.
EXCERPTS = Counter(
    "mutaika_excerpts_total", "Text excerpts of removed documents for notices, by outcome",
    ["outcome"],
)
SAFECOPIES = Counter(
    "mutaika_safecopies_total", "Safe copies made for releases, by outcome", ["outcome"]
)
SAFECOPY_SECONDS = Histogram(
    "mutaika_safecopy_seconds", "Time to make one safe copy", buckets=_LATENCY_BUCKETS
)
UNLOCK_ATTEMPTS = Counter(
    "mutaika_unlock_attempts_total",
    "Passwords tried on protected items: by a person (request) or from a password notice "
    "(notice), by outcome", ["source", "outcome"],
)

CHILD_RESTARTS = Counter(
    "mutaika_child_restarts_total", "Children of serve restarted after they died", ["child"]
)

# Detected types are reduced to a bounded set of labels: a label per libmagic string would let
# every sender mint new time series.
_TYPE_LABELS = {
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/x-7z-compressed": "7z",
    "application/x-rar": "rar",
    "application/vnd.rar": "rar",
    "application/x-dosexec": "executable",
    "application/x-executable": "executable",
    "application/x-msi": "executable",
    "application/msword": "office",
    "application/vnd.ms-excel": "office",
    "application/vnd.ms-powerpoint": "office",
    "application/x-ole-storage": "office",
    "application/ms-tnef": "tnef",
    "application/vnd.ms-tnef": "tnef",
    "message/rfc822": "message",
    "text/calendar": "calendar",
}


def type_label(detected_type: str) -> str:
    """pdf, zip, office, executable, image, text, … or other."""
    mime = detected_type.split(";", 1)[0].strip().lower()
    if mime in _TYPE_LABELS:
        return _TYPE_LABELS[mime]
    if mime.startswith("application/vnd.openxmlformats") or mime.startswith(
        "application/vnd.oasis.opendocument"
    ):
        return "office"
    major = mime.split("/", 1)[0]
    if major in ("image", "text", "audio", "video"):
        return major
    return "other" if mime else "unknown"
