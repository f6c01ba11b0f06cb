"""Every Prometheus object in one place, named per the Prometheus conventions.

The SMTP listeners and sanitizer workers run in several processes; app.py sets
PROMETHEUS_MULTIPROC_DIR before any of them start so /metrics sees them all.
"""

from prometheus_client import Counter, Gauge, Histogram

_SIZE_BUCKETS = (1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 2.5e7, 1e8)
_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

SMTP_CONNECTIONS = Counter("mutaika_smtp_connections_total", "SMTP sessions opened")
SMTP_ACCEPTED = Counter("mutaika_smtp_accepted_total", "Messages answered 250 after spooling")
SMTP_REJECTED = Counter(
    "mutaika_smtp_rejected_total", "Commands refused, by reply code", ["code"]
)
SMTP_TEMPFAIL = Counter(
    "mutaika_smtp_tempfail_total", "Messages answered 4xx for our own failure", ["reason"]
)
SMTP_MESSAGE_BYTES = Histogram(
    "mutaika_smtp_message_bytes", "Size of accepted messages", buckets=_SIZE_BUCKETS
)

# Several processes list the spool; the latest listing is the truth ("max" would keep a
# backlog long gone). mostrecent, not livemostrecent: the value of a process that has since
# exited is still the latest one seen.
SPOOL_MESSAGES = Gauge(
    "mutaika_spool_messages", "Messages in each spool queue", ["queue"],
    multiprocess_mode="mostrecent",
)
SPOOL_SHUNTED = Counter("mutaika_spool_shunted_total", "Poison messages moved aside")

SANITIZE_SECONDS = Histogram(
    "mutaika_sanitize_seconds", "Time to sanitize one message", buckets=_LATENCY_BUCKETS
)
SANITIZE_VERDICTS = Counter("mutaika_sanitize_verdicts_total", "Sanitizer verdicts", ["verdict"])
SANITIZE_REMOVED_PARTS = Counter(
    "mutaika_sanitize_removed_parts_total", "Parts removed, by reason", ["reason"]
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
END_TO_END_SECONDS = Histogram(
    "mutaika_end_to_end_seconds", "From 250 to delivered", buckets=_LATENCY_BUCKETS
)
