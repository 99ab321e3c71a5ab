"""The Kafka client's log is rate-limited (a broker outage wrote ~62,000 ERROR lines in 20 s)."""

from __future__ import annotations

import logging

import pytest

from defense_messaging.log_limits import RateLimitFilter, limit_client_logging


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(msg: str, *args: object, name: str = "aiokafka.conn") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_one_line_per_pattern_per_interval_passes_and_the_next_counts_the_rest() -> None:
    clock = Clock()
    limiter = RateLimitFilter(interval=10, clock=clock)
    passed = []
    # An outage's flood: 62,000 lines of two patterns over 20 s, with changing arguments.
    for number in range(62_000):
        clock.now = 1000.0 + number * 20 / 62_000
        if number % 2:
            record = _record("Unable connect to node with id %s: %s", number, "refused")
        else:
            record = _record("Got error %s", number)
        if limiter.filter(record):
            passed.append(record)
    assert 2 <= len(passed) <= 6, len(passed)
    later = [record for record in passed if "suppressed" in record.getMessage()]
    assert later, "the line after a quiet spell says how many were held back"
    held_back = sum(int(r.getMessage().split("[")[1].split()[0]) for r in later)
    assert held_back + len(passed) <= 62_000
    assert held_back > 25_000  # the rest is reported by the next line to pass


def test_different_patterns_and_levels_are_limited_separately() -> None:
    clock = Clock()
    limiter = RateLimitFilter(interval=10, clock=clock)
    assert limiter.filter(_record("a %s", 1))
    assert not limiter.filter(_record("a %s", 2))
    assert limiter.filter(_record("b %s", 1))
    warning = _record("a %s", 3)
    warning.levelno = logging.WARNING
    assert limiter.filter(warning)
    clock.now += 10
    again = _record("a %s", 4)
    assert limiter.filter(again)
    assert again.getMessage() == "a 4 [1 similar lines suppressed in the last 10s]"


def test_every_aiokafka_logger_is_limited_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    import aiokafka.conn  # noqa: F401 - the client's loggers exist once it is imported

    limiter = limit_client_logging()
    assert limit_client_logging() is limiter
    for name in ("aiokafka", "aiokafka.conn", "aiokafka.consumer.fetcher", "aiokafka.cluster"):
        assert limiter in logging.getLogger(name).filters, name
    with caplog.at_level(logging.ERROR, logger="aiokafka.cluster"):
        for number in range(1000):
            logging.getLogger("aiokafka.cluster").error("Topic %s not found", f"t-{number}")
    assert len([r for r in caplog.records if r.name == "aiokafka.cluster"]) == 1
