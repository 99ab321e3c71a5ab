"""Local development defaults of the security settings: public, so never for a deployment.

A service started with any of them logs a warning (see :func:`local_defaults_in_use`); make
fresh values with ``python -m service_runtime.security.keys``.
"""

from __future__ import annotations

from typing import Any

LOCAL_JWT_SECRET = "defense-coverage-LOCAL-DEVELOPMENT-ONLY-jwt-secret-0001"
LOCAL_ISSUER = "defense-coverage-local"
LOCAL_AUDIENCE = "defense-coverage"
LOCAL_FIELD_KEY_ID = "local1"
# base64 of 32 bytes; these are published in the repository and protect nothing.
LOCAL_FIELD_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXk="
LOCAL_LOOKUP_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1sb29rdXBrZXk="
LOCAL_AUDIT_KEY = "defense-coverage-LOCAL-DEVELOPMENT-ONLY-audit-key-0001"
# The demo and test agencies' system ids allowed to transfer cases (移送审查起诉).
LOCAL_TRUSTED_AGENCY_PRODUCERS: dict[str, tuple[str, ...]] = {
    "CaseTransferred": ("tj-psb-hedong", "tj-psb-xiqing", "tj-psb-heping"),
}


def local_defaults_in_use(settings: Any) -> list[str]:
    """Names of the security settings still at their published local default."""
    used = []
    if settings.auth_jwks_url is None and (
        settings.auth_jwt_secret.get_secret_value() == LOCAL_JWT_SECRET
    ):
        used.append("auth_jwt_secret")
    if any(key.get_secret_value() == LOCAL_FIELD_KEY for key in settings.field_keys.values()):
        used.append("field_keys")
    if settings.lookup_key.get_secret_value() == LOCAL_LOOKUP_KEY:
        used.append("lookup_key")
    if settings.audit_key.get_secret_value() == LOCAL_AUDIT_KEY:
        used.append("audit_key")
    return used
