"""The signed-in user's session: one cookie, encrypted and authenticated (Fernet), holding the
user's own bearer token, the CSRF token of their forms, a pending OIDC sign-in and a one-shot
message. Nothing is kept on the server, so any replica serves any request; the cookie is
HttpOnly (scripts never see the token), SameSite=Strict and, outside development, Secure."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "dc_console"


class SessionStore:
    def __init__(self, key: str, *, max_age_seconds: int, secure: bool) -> None:
        # Fernet wants 32 url-safe base64 bytes; any configured secret is stretched to that.
        digest = hashlib.sha256(("console-session:" + key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self.max_age = max_age_seconds
        self.secure = secure

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()

    def unseal(self, raw: str | None, *, max_age: int) -> dict[str, Any]:
        """The sealed data; empty when absent, altered, older than ``max_age`` seconds or
        sealed with another key."""
        if not raw:
            return {}
        try:
            data = json.loads(self._fernet.decrypt(raw.encode(), ttl=max_age))
        except (InvalidToken, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, request: Request) -> dict[str, Any]:
        return self.unseal(request.cookies.get(COOKIE), max_age=self.max_age)

    def save(self, response: Response, data: dict[str, Any]) -> None:
        sealed = self.seal(data)
        response.set_cookie(
            COOKIE,
            sealed,
            max_age=self.max_age,
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE, httponly=True, samesite="strict", secure=self.secure, path="/"
        )


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(session: dict[str, Any], sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent and secrets.compare_digest(str(expected), sent))
