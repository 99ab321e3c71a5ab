"""Bearer tokens: what verifies and what is refused, locally (HS256) and via JWKS (RS256)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from service_runtime.security.defaults import LOCAL_AUDIENCE, LOCAL_ISSUER, LOCAL_JWT_SECRET
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import InvalidToken, TokenVerifier, issue_token, parse_ttl

STAFF = Principal("u-17", Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院")
LOCAL = TokenVerifier(issuer=LOCAL_ISSUER, audience=LOCAL_AUDIENCE, secret=LOCAL_JWT_SECRET)


async def test_a_local_token_names_its_principal() -> None:
    assert await LOCAL.verify(issue_token(STAFF)) == STAFF


async def test_a_lawyer_token_carries_the_lawyer() -> None:
    lawyer = Principal("u-9", Role.LAWYER, lawyer_id="L-001")
    assert (await LOCAL.verify(issue_token(lawyer))).lawyer_id == "L-001"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "another-secret-of-enough-length-for-hs256-xx"}, "Signature"),
        ({"issuer": "someone-else"}, "(?i)issuer"),
        ({"audience": "another-system"}, "(?i)audience"),
        ({"ttl": timedelta(seconds=-120)}, "expired"),
    ],
)
async def test_forged_foreign_or_expired_tokens_are_refused(
    change: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidToken, match=reason):
        await LOCAL.verify(issue_token(STAFF, **change))  # type: ignore[arg-type]


async def test_an_unsigned_token_is_refused() -> None:
    claims = {**STAFF.claims(), "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "exp": 2**31}
    with pytest.raises(InvalidToken):
        await LOCAL.verify(jwt.encode(claims, None, algorithm="none"))


def _signed(claims: dict[str, object]) -> str:
    now = datetime.now(UTC)
    base = {"iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "iat": now, "exp": now + timedelta(hours=1)}
    return jwt.encode({**base, **claims}, LOCAL_JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "u-1", "role": "judge"}, "unknown role"),
        ({"sub": "u-1", "role": "procuratorate_staff"}, "must name its agency"),
        ({"sub": "u-1", "role": "aid_center_staff"}, "must name its agency"),
        ({"sub": "u-1", "role": "lawyer"}, "lawyer_id"),
        ({"role": "operator"}, "sub"),
    ],
)
async def test_claims_that_make_no_usable_principal_are_refused(
    claims: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidToken, match=reason):
        await LOCAL.verify(_signed(claims))


async def test_a_token_without_expiry_is_refused() -> None:
    claims = {**STAFF.claims(), "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "iat": 1}
    with pytest.raises(InvalidToken, match="exp"):
        await LOCAL.verify(jwt.encode(claims, LOCAL_JWT_SECRET, algorithm="HS256"))


# ---- an OIDC provider: RS256 keys published as a JWKS -------------------------------------

IDP = "https://idp.example"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A JWKS endpoint on loopback, like an OIDC provider's ``jwks_uri``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()


def _rs256(key: rsa.RSAPrivateKey, kid: str = "idp-1", **extra: object) -> str:
    now = datetime.now(UTC)
    claims = {
        **STAFF.claims(),
        "iss": "https://idp.example",
        "aud": "defense-coverage",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **extra,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


async def test_an_oidc_providers_rs256_token_verifies_against_its_jwks(
    identity_provider: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = identity_provider
    verifier = TokenVerifier(issuer=IDP, audience="defense-coverage", jwks_url=url)
    assert await verifier.verify(_rs256(key)) == STAFF


async def test_with_jwks_configured_hs256_and_foreign_keys_are_refused(
    identity_provider: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, _ = identity_provider
    verifier = TokenVerifier(issuer=IDP, audience="defense-coverage", jwks_url=url)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken):
        await verifier.verify(_rs256(stranger))
    with pytest.raises(InvalidToken):
        await verifier.verify(_rs256(stranger, kid="unknown"))
    with pytest.raises(InvalidToken):
        await verifier.verify(issue_token(STAFF, issuer="https://idp.example"))


def test_exactly_one_key_source_is_configured() -> None:
    with pytest.raises(ValueError):
        TokenVerifier(issuer="i", audience="a")
    with pytest.raises(ValueError):
        TokenVerifier(issuer="i", audience="a", secret="s", jwks_url="http://127.0.0.1/")


# ---- the command line ----------------------------------------------------------------------


async def test_the_issue_command_prints_a_token_the_services_accept() -> None:
    completed = subprocess.run(  # noqa: ASYNC221 - a short command, its output is the point
        [
            sys.executable,
            "-m",
            "service_runtime.security.tokens",
            "issue",
            "--role",
            "aid_center_staff",
            "--agency",
            "河东区法律援助中心",
            "--ttl",
            "30m",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    principal = await LOCAL.verify(completed.stdout.strip())
    assert (principal.role, principal.agency) == (Role.AID_CENTER_STAFF, "河东区法律援助中心")


def test_the_issue_command_refuses_a_lawyer_without_an_id() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "service_runtime.security.tokens", "issue", "--role", "lawyer"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode != 0
    assert "lawyer_id" in completed.stderr


def test_durations() -> None:
    assert parse_ttl("30m") == timedelta(minutes=30)
    assert parse_ttl("8h") == timedelta(hours=8)
    assert parse_ttl("90") == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("issued_ago", "lifetime"),
    [
        (timedelta(0), timedelta(hours=12, minutes=1)),  # made to live too long
        (timedelta(0), timedelta(days=365)),
    ],
)
async def test_a_token_living_longer_than_the_maximum_is_refused(
    issued_ago: timedelta, lifetime: timedelta
) -> None:
    issued = datetime.now(UTC) - issued_ago
    token = issue_token(STAFF, now=issued, ttl=lifetime)
    with pytest.raises(InvalidToken, match="lifetime exceeds the maximum"):
        await LOCAL.verify(token)


async def test_a_token_dated_in_the_future_is_refused_by_its_remaining_lifetime() -> None:
    issued = datetime.now(UTC) + timedelta(days=30)  # exp - iat is short, exp - now is not
    claims = {**STAFF.claims(), "iat": issued, "exp": issued + timedelta(hours=1)}
    with pytest.raises(InvalidToken, match=r"(?i)not yet valid|remaining lifetime"):
        await LOCAL.verify(_signed(claims))


async def test_the_maximum_lifetime_is_a_setting() -> None:
    short = TokenVerifier(
        issuer=LOCAL_ISSUER,
        audience=LOCAL_AUDIENCE,
        secret=LOCAL_JWT_SECRET,
        max_lifetime_seconds=600,
    )
    assert await short.verify(issue_token(STAFF, ttl=timedelta(minutes=10))) == STAFF
    with pytest.raises(InvalidToken, match="lifetime"):
        await short.verify(issue_token(STAFF, ttl=timedelta(minutes=11)))
    assert await LOCAL.verify(issue_token(STAFF, ttl=timedelta(hours=12))) == STAFF


@pytest.mark.parametrize("subject", ["u\x00-1", "u-\ud800"])
async def test_a_signed_token_with_text_the_audit_log_cannot_hold_is_refused(subject: str) -> None:
    claims = {"sub": subject, "role": "operator"}
    with pytest.raises(InvalidToken, match="NUL"):
        await LOCAL.verify(_signed(claims))
