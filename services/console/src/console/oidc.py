"""Production sign-in: the OpenID Connect authorization code flow with PKCE (RFC 7636, S256).

The console is the client: it sends the browser to the provider with a one-time ``state``, a
``nonce`` and the SHA-256 challenge of a secret verifier it keeps sealed in a short-lived cookie;
the provider sends the browser back with a code, which only the holder of the verifier can
exchange for tokens. The ID token's signature (the provider's JWKS), issuer, audience and nonce
are checked; the access token is what the services accept, and is checked as they check it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in; the message is safe to show."""


@dataclass(frozen=True)
class Tokens:
    """What a sign-in or a refresh leaves in the session."""

    access_token: str
    refresh_token: str | None


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> PendingSignIn:
        return cls(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            # 43 to 128 characters of the unreserved set (RFC 7636 §4.1).
            verifier=secrets.token_urlsafe(64),
        )

    @property
    def challenge(self) -> str:
        return s256(self.verifier)

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier}

    @classmethod
    def from_dict(cls, data: Any) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(state=data["state"], nonce=data["nonce"], verifier=data["verifier"])
        except KeyError:
            return None


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        scopes: str,
        http: httpx.AsyncClient,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self._http = http
        self._metadata: dict[str, Any] | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            try:
                response = await self._http.get(f"{self.issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                found = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SignInFailed(f"身份提供方无法访问（{type(exc).__name__}）") from None
            if found.get("issuer", "").rstrip("/") != self.issuer:
                raise SignInFailed("身份提供方的发现文档与配置的 issuer 不符")
            self._metadata = found
        return self._metadata

    async def authorization_url(self, pending: PendingSignIn) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scopes,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": pending.challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}?{query}"

    async def exchange(self, code: str, pending: PendingSignIn) -> Tokens:
        """The tokens for ``code``, after the ID token is checked."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": pending.verifier,
        }
        tokens = await self._token_request(metadata, form, refused="身份提供方拒绝了登录码")
        access, id_token = tokens.get("access_token"), tokens.get("id_token")
        if not isinstance(access, str) or not isinstance(id_token, str):
            raise SignInFailed("身份提供方未返回令牌")
        await self._check_id_token(id_token, pending, metadata)
        return Tokens(access, _optional_str(tokens.get("refresh_token")))

    async def refresh(self, refresh_token: str) -> Tokens:
        """New tokens for a refresh token (RFC 6749 §6). A provider that rotates refresh
        tokens sends a new one; one that does not leaves the old one in force."""
        metadata = await self.metadata()
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
        }
        tokens = await self._token_request(metadata, form, refused="身份提供方拒绝了续期")
        access = tokens.get("access_token")
        if not isinstance(access, str):
            raise SignInFailed("身份提供方未返回令牌")
        return Tokens(access, _optional_str(tokens.get("refresh_token")) or refresh_token)

    async def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so the provider ends its own session too (OpenID Connect
        RP-Initiated Logout); None when the provider advertises no such endpoint or cannot be
        reached: the console's own session is ended either way."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except SignInFailed:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        # client_id rather than id_token_hint: the ID token is not kept (the session is one
        # cookie, and the ID token would take a third of its room).
        query = urlencode(
            {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def _token_request(
        self, metadata: dict[str, Any], form: dict[str, str], *, refused: str
    ) -> dict[str, Any]:
        if self._secret:
            form["client_secret"] = self._secret
        try:
            response = await self._http.post(metadata["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"身份提供方无法访问（{type(exc).__name__}）") from None
        if response.status_code != 200:
            raise SignInFailed(refused)
        try:
            tokens = response.json()
        except ValueError:
            raise SignInFailed("身份提供方的回答无法解析") from None
        if not isinstance(tokens, dict):
            raise SignInFailed("身份提供方未返回令牌")
        return tokens

    async def _check_id_token(
        self, id_token: str, pending: PendingSignIn, metadata: dict[str, Any]
    ) -> None:
        try:
            keys = (await self._http.get(metadata["jwks_uri"])).json()
            header = jwt.get_unverified_header(id_token)
            jwk = next((k for k in keys.get("keys", []) if k.get("kid") == header.get("kid")), None)
            if jwk is None:
                raise SignInFailed("ID 令牌的签名密钥未公布")
            claims = jwt.decode(
                id_token,
                jwt.PyJWK(jwk).key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=metadata["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise SignInFailed(f"ID 令牌无效（{type(exc).__name__}）") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), pending.nonce):
            raise SignInFailed("ID 令牌的 nonce 不符")


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def expires_at(token: str) -> float | None:
    """The ``exp`` of a JWT access token, read without checking it (it is checked as the
    services check it, before any use); None when it has none or is not a JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None
