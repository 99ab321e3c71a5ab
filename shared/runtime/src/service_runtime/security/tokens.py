"""Bearer tokens: verifying them (every service) and issuing local ones (development, tests).

Verification (PyJWT): the signature with the configured key — HS256 and a shared secret
locally, RS256 and the OIDC provider's published keys (JWKS) in a deployment, never both and
never ``none`` — then ``iss``, ``aud``, ``exp`` (required), the token's lifetime (``exp - iat``
and ``exp - now`` at most ``auth_max_token_lifetime_seconds``: a stolen long-lived token is a
standing key) and the role claims.

    python -m service_runtime.security.tokens issue --role procuratorate_staff \\
        --agency 天津市河东区人民检察院 --ttl 8h
    python -m service_runtime.security.tokens issue --role lawyer --lawyer-id L-001 --ttl 30m

``issue`` signs with ``--secret`` or ``$AUTH_JWT_SECRET``, else the local default, so its
tokens are accepted by services running with the local defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from service_runtime.security.defaults import LOCAL_AUDIENCE, LOCAL_ISSUER, LOCAL_JWT_SECRET
from service_runtime.security.principal import InvalidPrincipal, Principal, Role

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else.

    The message is safe to return to the caller: it never includes the token."""


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        secret: str | None = None,
        jwks_url: str | None = None,
        leeway_seconds: int = 30,
        max_lifetime_seconds: int = 12 * 3600,
    ) -> None:
        if (secret is None) == (jwks_url is None):
            raise ValueError("configure exactly one of a shared secret or a JWKS URL")
        self.issuer = issuer
        self.audience = audience
        self._secret = secret
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds
        # Pinning the algorithm per key kind closes the HS256-with-the-public-key confusion.
        self._algorithms = ["RS256"] if jwks_url else ["HS256"]
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None

    @classmethod
    def from_settings(cls, settings: Any) -> TokenVerifier:
        jwks_url = settings.auth_jwks_url
        return cls(
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            secret=None if jwks_url else settings.auth_jwt_secret.get_secret_value(),
            jwks_url=jwks_url,
            leeway_seconds=settings.auth_leeway_seconds,
            max_lifetime_seconds=settings.auth_max_token_lifetime_seconds,
        )

    async def verify(self, token: str) -> Principal:
        """The principal a valid token names; :class:`InvalidToken` otherwise."""
        key: Any = self._secret
        if self._jwks is not None:
            try:
                # urllib under the hood: keep the event loop free while keys are fetched.
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            except jwt.PyJWTError as exc:
                raise InvalidToken(f"no signing key for this token: {exc}") from None
            key = signing_key.key
        return self.verify_with_key(token, key)

    def verify_with_key(self, token: str, key: Any) -> Principal:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from None
        self._check_lifetime(claims)
        if any(isinstance(value, str) and not _storable(value) for value in claims.values()):
            # The principal's names go into the audit log: only text the database can hold.
            raise InvalidToken("the token's claims must be valid text without NUL characters")
        try:
            return Principal.from_claims(claims)
        except InvalidPrincipal as exc:
            raise InvalidToken(str(exc)) from None

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        try:
            expires, issued = float(claims["exp"]), float(claims["iat"])
        except (TypeError, ValueError):
            raise InvalidToken("the token's exp and iat must be numbers") from None
        if expires - issued > self._max_lifetime:
            raise InvalidToken(
                f"the token's lifetime exceeds the maximum of {self._max_lifetime} seconds"
            )
        if expires - time.time() > self._max_lifetime + self._leeway:
            raise InvalidToken(
                f"the token's remaining lifetime exceeds the maximum of "
                f"{self._max_lifetime} seconds"
            )


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def issue_token(
    principal: Principal,
    *,
    secret: str = LOCAL_JWT_SECRET,
    issuer: str = LOCAL_ISSUER,
    audience: str = LOCAL_AUDIENCE,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """An HS256 token for ``principal``: for local development and tests only."""
    issued = now or datetime.now(UTC)
    claims = {
        **principal.claims(),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def token_for(settings: Any, principal: Principal, *, ttl: timedelta = timedelta(hours=1)) -> str:
    """A token the service running with ``settings`` accepts (HS256 settings only)."""
    return issue_token(
        principal,
        secret=settings.auth_jwt_secret.get_secret_value(),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl=ttl,
    )


_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> timedelta:
    """``90``, ``90s``, ``30m``, ``8h``, ``1d``."""
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30m, 8h, 1d)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service_runtime.security.tokens")
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="print a signed HS256 bearer token")
    issue.add_argument("--role", required=True, choices=[role.value for role in Role])
    issue.add_argument("--agency", help="the caller's procuratorate or legal aid center")
    issue.add_argument("--lawyer-id", help="the lawyer's roster id (role lawyer)")
    issue.add_argument("--subject", help="the user's id (default: a generated one)")
    issue.add_argument("--ttl", type=parse_ttl, default=parse_ttl("8h"), help="e.g. 30m, 8h")
    issue.add_argument("--secret", default=os.environ.get("AUTH_JWT_SECRET", LOCAL_JWT_SECRET))
    issue.add_argument("--issuer", default=os.environ.get("AUTH_ISSUER", LOCAL_ISSUER))
    issue.add_argument("--audience", default=os.environ.get("AUTH_AUDIENCE", LOCAL_AUDIENCE))
    args = parser.parse_args(argv)
    try:
        principal = Principal.from_claims(
            {
                "sub": args.subject or f"dev-{uuid.uuid4().hex[:8]}",
                "role": args.role,
                "agency": args.agency,
                "lawyer_id": args.lawyer_id,
            }
        )
    except InvalidPrincipal as exc:
        parser.error(str(exc))
    print(
        issue_token(
            principal,
            secret=args.secret,
            issuer=args.issuer,
            audience=args.audience,
            ttl=args.ttl,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
