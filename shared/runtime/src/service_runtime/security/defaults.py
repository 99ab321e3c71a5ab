"""Local development defaults of the security settings: public, so never for a deployment.

A service refuses to start with any of them unless it runs in development mode
(``DEFENSE_ENV=development``, see :func:`check_local_defaults`); make fresh values with
``python -m service_runtime.security.keys``.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

LOCAL_JWT_SECRET = "defense-coverage-LOCAL-DEVELOPMENT-ONLY-jwt-secret-0001"
LOCAL_ISSUER = "defense-coverage-local"
LOCAL_AUDIENCE = "defense-coverage"
LOCAL_FIELD_KEY_ID = "local1"
# base64 of 32 bytes; these are published in the repository and protect nothing.
LOCAL_FIELD_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXk="
LOCAL_LOOKUP_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1sb29rdXBrZXk="
LOCAL_AUDIT_KEY = "defense-coverage-LOCAL-DEVELOPMENT-ONLY-audit-key-0001"
LOCAL_WEBHOOK_SECRET = "change-me"
PUBLISHED_SECRETS = frozenset(
    {LOCAL_JWT_SECRET, LOCAL_FIELD_KEY, LOCAL_LOOKUP_KEY, LOCAL_AUDIT_KEY, LOCAL_WEBHOOK_SECRET}
)
# The demo and test agencies' system ids allowed to transfer cases (移送审查起诉).
LOCAL_TRUSTED_AGENCY_PRODUCERS: dict[str, tuple[str, ...]] = {
    "CaseTransferred": ("tj-psb-hedong", "tj-psb-xiqing", "tj-psb-heping"),
}


class LocalDefaultsRefused(RuntimeError):
    """A service outside development mode was configured with a published secret."""


def local_defaults_in_use(settings: Any) -> list[str]:
    """Names of the secret settings holding a value published in this repository. Every secret
    field is checked (a service's own ones, such as the notifier's webhook key, too)."""
    used = []
    for name in type(settings).model_fields:
        if name == "auth_jwt_secret" and settings.auth_jwks_url is not None:
            continue  # not used: tokens are checked against the provider's keys
        value = getattr(settings, name)
        values = value.values() if isinstance(value, dict) else [value]
        if any(
            isinstance(item, SecretStr) and item.get_secret_value() in PUBLISHED_SECRETS
            for item in values
        ):
            used.append(name)
    return used


def check_local_defaults(settings: Any, service: str) -> list[str]:
    """Refuses published secrets outside development mode; returns the ones a development
    instance uses (for its warning)."""
    used = local_defaults_in_use(settings)
    if used and settings.deployment_mode != "development":
        raise LocalDefaultsRefused(
            f"{service} refuses to start: {', '.join(used)} still hold the published local "
            "defaults. Set fresh values (python -m service_runtime.security.keys), or "
            "DEFENSE_ENV=development on a developer's machine"
        )
    return used
