"""Security every service shares: bearer-token authentication and roles, field encryption of
personal data, the append-only audit log (issue 7).

- :mod:`.principal` — :class:`Principal` and :class:`Role`;
- :mod:`.tokens` — :class:`TokenVerifier` (HS256 / RS256 via JWKS), the ``issue`` command;
- :mod:`.deps` — ``CurrentPrincipal``, ``require_roles(...)``, ``Operator`` for routes;
- :mod:`.fields` — AES-GCM :class:`FieldCipher` and keyed lookup hashes;
- :mod:`.audit` — the hash-chained ``audit_log``, its writer and the ``verify`` command.
"""

from service_runtime.security.principal import Principal, Role

__all__ = ["Principal", "Role"]
