"""Signing in: OIDC authorization code with PKCE against a small provider served on a port of
its own, the development sign-in (refused outside development), CSRF on every form, and what
the console's responses promise (no-store, the sealed cookie)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from console.app import create_app
from console.oidc import s256
from console.settings import ConsoleSettings
from service_runtime.security.defaults import LOCAL_AUDIENCE
from tests.infrastructure import eventually

CLIENT_ID = "agency-console"
CONSOLE = "https://console.test"


class Provider:
    """An OIDC provider that remembers each code's PKCE challenge and nonce."""

    def __init__(self, *, end_session: bool = True, access_ttl: int = 600) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = ""
        self.codes: dict[str, dict[str, str]] = {}
        self.end_session = end_session
        self.access_ttl = access_ttl
        self.refresh_tokens: set[str] = set()
        self.refreshed = 0
        self.app = FastAPI()
        self.app.get("/.well-known/openid-configuration")(self.discovery)
        self.app.get("/authorize")(self.authorize)
        self.app.post("/token")(self.token)
        self.app.get("/jwks")(self.jwks)

    async def discovery(self) -> dict[str, str]:
        found = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
        }
        if self.end_session:
            found["end_session_endpoint"] = f"{self.issuer}/logout"
        return found

    async def authorize(self, request: Request) -> RedirectResponse:
        query = request.query_params
        assert query["code_challenge_method"] == "S256"
        code = uuid.uuid4().hex
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "nonce": query["nonce"],
            "redirect_uri": query["redirect_uri"],
        }
        return RedirectResponse(f"{query['redirect_uri']}?code={code}&state={query['state']}")

    async def token(self, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if form.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") == "refresh_token":
            # Rotation: each refresh token is good once.
            if form.get("refresh_token") not in self.refresh_tokens:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.refresh_tokens.discard(form["refresh_token"])
            self.refreshed += 1
            return JSONResponse(self.tokens(None))
        issued = self.codes.pop(form.get("code", ""), None)
        if (
            form.get("grant_type") != "authorization_code"
            or issued is None
            or s256(form.get("code_verifier", "")) != issued["challenge"]
            or form.get("redirect_uri") != issued["redirect_uri"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(self.tokens(issued["nonce"]))

    def tokens(self, nonce: str | None) -> dict[str, str]:
        refresh = uuid.uuid4().hex
        self.refresh_tokens.add(refresh)
        access = self.sign(
            {
                "aud": LOCAL_AUDIENCE,
                "role": "procuratorate_staff",
                "agency": "天津市河东区人民检察院",
                "exp": int(time.time()) + self.access_ttl,
            }
        )
        found = {"access_token": access, "token_type": "Bearer", "refresh_token": refresh}
        if nonce is not None:
            found["id_token"] = self.sign({"aud": CLIENT_ID, "nonce": nonce})
        return found

    async def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "sub": "user-1", "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=20, what="the provider to listen")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def console(settings: ConsoleSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=CONSOLE) as client:
            yield client


@contextlib.asynccontextmanager
async def production_console(
    provider: Provider | None = None,
) -> AsyncIterator[tuple[httpx.AsyncClient, ConsoleSettings]]:
    provider = provider or Provider()
    async with serving(provider.app) as issuer:
        provider.issuer = issuer
        settings = ConsoleSettings(
            deployment_mode="production",
            session_key="a-fresh-session-key-for-this-test-only-0123456789",
            oidc_issuer=issuer,
            oidc_client_id=CLIENT_ID,
            auth_issuer=issuer,
            auth_jwks_url=f"{issuer}/jwks",
            public_url=CONSOLE,
        )
        async with console(settings) as client:
            yield client, settings


async def _authorize(client: httpx.AsyncClient) -> tuple[str, dict[str, list[str]]]:
    """Starts a sign-in; the provider's answer (the callback URL) and the request it got."""
    started = await client.get("/auth/login")
    assert started.status_code == 303
    location = started.headers["location"]
    async with httpx.AsyncClient() as browser:
        answered = await browser.get(location)
    assert answered.status_code == 307
    return answered.headers["location"], parse_qs(urlsplit(location).query)


async def test_oidc_sign_in_with_pkce_keeps_the_providers_token_in_the_session() -> None:
    async with production_console() as (client, _):
        callback, sent = await _authorize(client)
        assert sent["code_challenge_method"] == ["S256"]
        assert sent["redirect_uri"] == [f"{CONSOLE}/auth/callback"]
        assert "code_verifier" not in sent  # only its hash travels through the browser
        signed_in = await client.get(callback.removeprefix(CONSOLE))
        assert signed_in.status_code == 200, signed_in.text
        assert 'http-equiv="refresh"' in signed_in.text
        home = await client.get("/")
        assert home.headers["location"] == "/procuratorate/today"


async def test_a_code_without_its_verifier_signs_nobody_in() -> None:
    """A code intercepted on its way back is worthless to whoever lacks the verifier."""
    async with production_console() as (victim, settings):
        stolen, _ = await _authorize(victim)
        code = parse_qs(urlsplit(stolen).query)["code"][0]
        async with console(settings) as attacker:
            own, _ = await _authorize(attacker)
            state = parse_qs(urlsplit(own).query)["state"][0]
            refused = await attacker.get(f"/auth/callback?code={code}&state={state}")
        assert refused.status_code == 400
        assert "拒绝" in refused.text


async def test_a_callback_with_another_state_is_refused() -> None:
    async with production_console() as (client, _):
        callback, _ = await _authorize(client)
        forged = callback.removeprefix(CONSOLE).replace("state=", "state=x")
        refused = await client.get(forged)
        assert refused.status_code == 400
        assert (await client.get("/")).headers["location"] == "/signin"


async def _signed_in(client: httpx.AsyncClient) -> None:
    callback, _ = await _authorize(client)
    assert (await client.get(callback.removeprefix(CONSOLE))).status_code == 200


async def test_an_access_token_near_its_expiry_is_renewed_with_the_refresh_token() -> None:
    provider = Provider(access_ttl=30)  # inside the console's 60 s margin
    async with production_console(provider) as (client, _):
        await _signed_in(client)
        provider.access_ttl = 600
        assert (await client.get("/")).headers["location"] == "/procuratorate/today"
        assert provider.refreshed == 1
        # The renewed token (and the rotated refresh token) are the session's now: good for
        # ten minutes, the next page renews nothing.
        assert (await client.get("/")).headers["location"] == "/procuratorate/today"
        assert provider.refreshed == 1


async def test_a_refused_renewal_sends_the_person_back_to_sign_in() -> None:
    provider = Provider(access_ttl=30)
    async with production_console(provider) as (client, _):
        await _signed_in(client)
        provider.refresh_tokens.clear()  # revoked at the provider
        assert (await client.get("/")).headers["location"] == "/signin"
        page = await client.get("/signin")
        assert "登录已过期，请重新登录。" in page.text
        assert (await client.get("/")).headers["location"] == "/signin"


async def test_sign_out_ends_the_console_session_and_then_the_providers() -> None:
    async with production_console() as (client, settings):
        await _signed_in(client)
        page = await client.get("/signin")
        out = await client.post("/signout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 200
        end_session = (
            f"{settings.oidc_issuer}/logout?client_id={CLIENT_ID}"
            "&amp;post_logout_redirect_uri=https%3A%2F%2Fconsole.test%2Fsignin"
        )
        assert f'content="0;url={end_session}"' in out.text
        assert out.headers["cache-control"] == "no-store"
        assert (await client.get("/")).headers["location"] == "/signin"


async def test_sign_out_without_the_providers_logout_endpoint_ends_the_console_session() -> None:
    async with production_console(Provider(end_session=False)) as (client, _):
        await _signed_in(client)
        page = await client.get("/signin")
        out = await client.post("/signout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/signin"
        assert (await client.get("/")).headers["location"] == "/signin"


async def test_the_development_sign_in_does_not_exist_in_production() -> None:
    async with production_console() as (client, _):
        page = await client.get("/signin")
        assert "开发登录" not in page.text and "/auth/login" in page.text
        refused = await client.post(
            "/signin/development", data={"csrf": _csrf(page.text), "role": "operator"}
        )
        assert refused.status_code == 403
        assert "开发登录仅在开发模式下可用" in refused.text
        assert (await client.get("/")).headers["location"] == "/signin"


def test_production_refuses_the_published_session_key_and_a_missing_provider() -> None:
    with pytest.raises(ValidationError, match="CONSOLE_SESSION_KEY"):
        ConsoleSettings(deployment_mode="production", oidc_issuer="x", oidc_client_id="y")
    with pytest.raises(ValidationError, match="OIDC"):
        ConsoleSettings(deployment_mode="production", session_key="fresh-0123456789")


def _csrf(html: str) -> str:
    """The session's CSRF token, as every page gives it to htmx."""
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_development_sign_in_needs_the_forms_csrf_token_and_pages_are_not_stored() -> None:
    async with console(ConsoleSettings(deployment_mode="development")) as client:
        page = await client.get("/signin")
        assert page.headers["cache-control"] == "no-store"
        form = {"role": "operator", "agency": "", "lawyer_id": ""}
        forged = await client.post("/signin/development", data={**form, "csrf": "guess"})
        assert forged.status_code == 403
        assert (await client.get("/")).headers["location"] == "/signin"
        signed_in = await client.post(
            "/signin/development", data={**form, "csrf": _csrf(page.text)}
        )
        assert signed_in.status_code == 303
        assert (await client.get("/")).headers["location"] == "/ops/lag"


async def test_a_staff_sign_in_without_its_unit_is_refused_at_the_field() -> None:
    async with console(ConsoleSettings(deployment_mode="development")) as client:
        page = await client.get("/signin")
        refused = await client.post(
            "/signin/development",
            data={"csrf": _csrf(page.text), "role": "aid_center_staff", "agency": ""},
        )
        assert refused.status_code == 422
        assert 'id="f-agency"' in refused.text
        assert 'aria-invalid="true" aria-describedby="err-agency"' in refused.text


def test_the_session_key_and_client_secret_are_read_from_the_secrets_folder(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "CONSOLE_SESSION_KEY").write_text("from-a-mounted-secret-0123456789")
    (tmp_path / "CONSOLE_OIDC_CLIENT_SECRET").write_text("client-secret")
    monkeypatch.setenv("DEFENSE_SECRETS_DIR", str(tmp_path))
    settings = ConsoleSettings(
        deployment_mode="production",
        oidc_issuer="https://sso.example.org",
        oidc_client_id=CLIENT_ID,
        auth_jwks_url="https://sso.example.org/jwks",
    )
    assert settings.session_key.get_secret_value() == "from-a-mounted-secret-0123456789"
    assert settings.oidc_client_secret is not None
    assert settings.oidc_client_secret.get_secret_value() == "client-secret"


async def test_a_bug_is_an_error_page_and_its_message_stays_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(ConsoleSettings(deployment_mode="development"))

    async def broken() -> None:
        raise ValueError("王小明 at 天津市河东区看守所")

    app.add_api_route("/broken", broken)
    async with app.router.lifespan_context(app):
        # Nothing reaches the server either: it would log the traceback, message and all.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=CONSOLE) as client:
            answer = await client.get("/broken")
    assert answer.status_code == 500
    assert "控制台内部错误" in answer.text and "王小明" not in answer.text
    assert "ValueError" in caplog.text
    assert "王小明" not in caplog.text
