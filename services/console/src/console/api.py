"""Calls to the three services' REST APIs, always with the signed-in user's own token: the
console holds no privilege of its own, so every object-level rule stays the APIs' to apply."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

SERVICES = ("procuratorate", "aid_center", "notifier")
SERVICE_NAMES = {
    "procuratorate": "检察院服务",
    "aid_center": "法律援助中心服务",
    "notifier": "通知服务",
}


@dataclass
class ApiProblem(Exception):
    """An API's refusal, as its RFC 9457 problem details (or what stood in for them)."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.problem.get("title") or f"HTTP {self.status}")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or "")

    @property
    def code(self) -> str:
        return str(self.problem.get("code") or "")

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def unavailable(service: str, exc: Exception) -> ApiProblem:
    return ApiProblem(
        503,
        {
            "title": f"{SERVICE_NAMES.get(service, service)}暂时无法访问",
            "detail": type(exc).__name__,
            "code": "unavailable",
        },
    )


class ApiClients:
    """One pooled HTTP client per service; ``transports`` lets a test run the services in
    process."""

    def __init__(
        self,
        base_urls: Mapping[str, str],
        *,
        timeout: float,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._clients = {
            name: httpx.AsyncClient(
                base_url=url,
                timeout=timeout,
                transport=(transports or {}).get(name),
            )
            for name, url in base_urls.items()
        }

    def client(self, service: str) -> httpx.AsyncClient:
        return self._clients[service]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    def as_user(self, token: str | None) -> UserApi:
        return UserApi(self, token)


class UserApi:
    """The APIs as one signed-in user sees them."""

    def __init__(self, clients: ApiClients, token: str | None) -> None:
        self._clients = clients
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        if_match: str | None = None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if if_match:
            headers["If-Match"] = if_match
        if method == "POST":
            # A resubmitted form (a double click, a retried request) runs once.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._clients.client(service).request(
                method, path, params=clean, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            raise unavailable(service, exc) from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
        return response

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.request(service, "GET", path, params=params)).json()

    async def get_tagged(self, service: str, path: str) -> tuple[Any, str | None]:
        """A resource a person may edit, with the ``ETag`` to send back as ``If-Match``."""
        response = await self.request(service, "GET", path)
        return response.json(), response.headers.get("ETag")

    async def patch(self, service: str, path: str, body: Any, *, if_match: str | None) -> Any:
        """A change to what the person read: with its ``ETag`` the API refuses (412) a change
        to a resource someone else changed meanwhile, instead of overwriting it."""
        response = await self.request(service, "PATCH", path, json=body, if_match=if_match)
        return response.json() if response.content else None

    async def post(self, service: str, path: str, body: Any) -> Any:
        response = await self.request(service, "POST", path, json=body)
        return response.json() if response.content else None

    async def put(self, service: str, path: str, body: Any, *, if_match: str | None = None) -> Any:
        response = await self.request(service, "PUT", path, json=body, if_match=if_match)
        return response.json() if response.content else None

    async def probe(self, service: str, path: str) -> tuple[int, Any]:
        """An open probe (``/ready``): its status and body, never an exception."""
        try:
            response = await self._clients.client(service).get(path)
        except httpx.HTTPError as exc:
            return 0, {"checks": {"connection": type(exc).__name__}}
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {}
