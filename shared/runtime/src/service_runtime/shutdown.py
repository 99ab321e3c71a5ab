"""Stopping within an orchestrator's grace period (Kubernetes sends SIGTERM, then SIGKILL 30 s
later by default).

In order: ``/ready`` fails at once while the API still serves for ``shutdown_drain_seconds``
(the orchestrator takes the replica out of its endpoints only when it sees that, and requests
routed meanwhile must not be refused); then the listener closes and requests in flight finish
(``shutdown_http_seconds`` at most); then the runtime stops (``shutdown_timeout_seconds`` at
most): the consumer finishes its batch and commits it, the relay finishes its publish, the
clients close. Whatever the deadline cuts short is rolled back and done again later (the outbox
row stays unsent, the offsets uncommitted, and the inbox skips what was already applied).
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from types import FrameType

import uvicorn


@dataclass
class ShutdownState:
    """Shared by the signal handler and ``/ready`` (``app.state.shutdown``)."""

    draining_since: float | None = None

    @property
    def draining(self) -> bool:
        return self.draining_since is not None

    def begin(self) -> None:
        if self.draining_since is None:
            self.draining_since = time.monotonic()

    def end(self) -> None:
        self.draining_since = None


class GracefulServer(uvicorn.Server):
    """uvicorn's server with a drain phase before its own graceful stop.

    A first SIGTERM or SIGINT marks the service draining; the server stops ``drain_seconds``
    later. A second signal stops it at once (a second SIGINT forces it, as in uvicorn). The
    process then exits with status 0: it stopped as asked, and an orchestrator should not count
    that as a crash.
    """

    def __init__(self, config: uvicorn.Config, state: ShutdownState, drain_seconds: float) -> None:
        super().__init__(config)
        self.state = state
        self.drain_seconds = drain_seconds
        self._stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs in the signal handler: sets flags only; the event loop acts on them in on_tick.
        if self.state.draining or not self.started or self.drain_seconds <= 0:
            self.state.begin()
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True
            return
        self.state.begin()
        self._stop_at = time.monotonic() + self.drain_seconds

    async def on_tick(self, counter: int) -> bool:
        if self._stop_at is not None and time.monotonic() >= self._stop_at:
            self.should_exit = True
        return await super().on_tick(counter)
