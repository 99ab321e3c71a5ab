"""Rate limits on the Kafka client's logging.

With the broker gone, aiokafka logs the same few errors on every retry of every connection: a
20 s outage wrote about 62,000 ERROR lines, which buries everything else and fills disks. This
filter lets one line per message pattern (logger, level, unformatted message) through per
interval, and the next line that passes says how many were suppressed in between.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

CLIENT_LOGGERS = ("aiokafka",)


class RateLimitFilter(logging.Filter):
    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self._clock = clock
        # pattern → (when one last passed, how many were held back since)
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        passed_at, suppressed = self._seen.get(key, (None, 0))
        if passed_at is not None and now - passed_at < self.interval:
            self._seen[key] = (passed_at, suppressed + 1)
            return False
        self._seen[key] = (now, 0)
        if suppressed:
            record.msg = (
                f"{record.msg} [{suppressed} similar lines suppressed in the last "
                f"{now - (passed_at or now):.0f}s]"
            )
        if len(self._seen) > 10_000:  # patterns are few; this only bounds a pathological case
            self._seen = {key: self._seen[key]}
        return True


_installed: dict[str, RateLimitFilter] = {}


def limit_client_logging(interval: float = 10.0) -> RateLimitFilter:
    """Rate-limit every aiokafka logger (idempotent; returns the one shared filter)."""
    limiter = _installed.setdefault("filter", RateLimitFilter(interval))
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == root or name.startswith(f"{root}.") for root in CLIENT_LOGGERS)
    ]
    for name in {*CLIENT_LOGGERS, *names}:
        logger = logging.getLogger(name)
        if limiter not in logger.filters:
            logger.addFilter(limiter)
    return limiter
