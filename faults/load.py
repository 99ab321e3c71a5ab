"""The workload of bench/workload.py, sent so that it gets through an outage.

A step that meets a dead service, a refused connection or a 5xx is sent again, unchanged, until
it is answered (bounded); a replica that does not answer at all is passed over for the next.
Resending is safe because every step is idempotent on the server: the same transfer again
returns the existing case, a repeated rights notification reads the closed clock, and a
decision already recorded is a 409 (taken, on a resend, as the first one's answer).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.workload import whole_workflow

STEP_TIMEOUT = 300.0


class Load:
    def __init__(self, clients: list[httpx.AsyncClient], fault_after: int) -> None:
        self.clients = clients  # one per procuratorate replica, taken in turn
        self.fault_after = fault_after
        self.fault_time = asyncio.Event()  # set once ``fault_after`` suspects are in
        self.submitted = 0
        self.resent = 0
        self.suspects: list[str] = []
        self._turn = 0

    async def post(self, client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Any:
        deadline = time.monotonic() + STEP_TIMEOUT
        resent = False
        while True:
            try:
                response = await client.post(url, json=body)
            except httpx.TransportError:
                response = None
                # As a load balancer does: a replica that does not answer is passed over.
                client = self._other(client)
            if response is not None:
                if response.status_code < 400 or (resent and response.status_code == 409):
                    return response
                if response.status_code < 500:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: no answer for {STEP_TIMEOUT}s")
            resent = True
            self.resent += 1
            await asyncio.sleep(0.5)

    def _other(self, client: httpx.AsyncClient) -> httpx.AsyncClient:
        index = self.clients.index(client) if client in self.clients else -1
        return self.clients[(index + 1) % len(self.clients)]

    async def one(self) -> str:
        client = self.clients[self._turn % len(self.clients)]
        self._turn += 1
        suspect_id = await whole_workflow(client, self.post)
        self.suspects.append(suspect_id)
        self.submitted += 1
        if self.submitted >= self.fault_after:
            self.fault_time.set()
        return suspect_id
