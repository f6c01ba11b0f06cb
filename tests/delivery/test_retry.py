from gateway.delivery.retry import next_attempt_at, retry_delay

SCHEDULE = [60.0, 300.0, 900.0]


def test_delay_follows_schedule_and_repeats_the_last_step() -> None:
    delays = [retry_delay(n, SCHEDULE, 0.0) for n in range(1, 6)]
    assert delays == [60.0, 300.0, 900.0, 900.0, 900.0]


def test_jitter_stays_within_bounds() -> None:
    assert retry_delay(1, SCHEDULE, 0.2, rand=lambda: 0.0) == 48.0
    assert retry_delay(1, SCHEDULE, 0.2, rand=lambda: 1.0) == 72.0
    assert retry_delay(1, SCHEDULE, 0.2, rand=lambda: 0.5) == 60.0


def test_next_attempt_none_once_too_old() -> None:
    def at(now: float) -> float | None:
        return next_attempt_at(now, 1, 0.0, schedule=SCHEDULE, jitter=0.0, max_age=1000.0)

    assert at(500.0) == 560.0
    assert at(1000.0) is None
