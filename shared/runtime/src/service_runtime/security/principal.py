"""Who is calling: the principal a verified token names, and what each role may see.

Roles (issue 7): procuratorate staff see their unit's cases (承办检察院), aid-center staff their
center's (法律援助中心), lawyers only the suspects assigned to them, operators the pipeline
(metrics, lag, dead letters, legal calendar) and no case data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    PROCURATORATE_STAFF = "procuratorate_staff"
    AID_CENTER_STAFF = "aid_center_staff"
    LAWYER = "lawyer"
    OPERATOR = "operator"


class InvalidPrincipal(ValueError):
    """The token's claims do not describe a usable principal (unknown role, missing unit…)."""


@dataclass(frozen=True)
class Principal:
    """The caller, from a verified token's claims.

    ``agency`` is the unit the caller works for: the procuratorate's name for procuratorate
    staff, the legal aid center's for aid-center staff (the same strings the cases carry);
    a lawyer's firm or center if known. ``lawyer_id`` is the roster id of a lawyer.
    """

    subject: str
    role: Role
    agency: str | None = None
    lawyer_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidPrincipal("the token names no subject")
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise InvalidPrincipal(f"unknown role {claims.get('role')!r}") from None
        agency = claims.get("agency") or None
        lawyer_id = claims.get("lawyer_id") or None
        if agency is not None and not isinstance(agency, str):
            raise InvalidPrincipal("agency must be a string")
        if lawyer_id is not None and not isinstance(lawyer_id, str):
            raise InvalidPrincipal("lawyer_id must be a string")
        # Object-level checks filter by these: a staff token without its unit, or a lawyer's
        # without the lawyer, would have nothing to filter by, so it is refused outright.
        if role in (Role.PROCURATORATE_STAFF, Role.AID_CENTER_STAFF) and agency is None:
            raise InvalidPrincipal(f"a {role.value} token must name its agency")
        if role is Role.LAWYER and lawyer_id is None:
            raise InvalidPrincipal("a lawyer token must carry lawyer_id")
        return cls(subject=subject, role=role, agency=agency, lawyer_id=lawyer_id)

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.subject, "role": self.role.value}
        if self.agency is not None:
            claims["agency"] = self.agency
        if self.lawyer_id is not None:
            claims["lawyer_id"] = self.lawyer_id
        return claims
