"""Route dependencies: who is calling (``CurrentPrincipal``) and may they (``require_roles``).

    @router.get("/cases/{case_id}")
    async def get_case(case_id: UUID, principal: StaffOrLawyer, session: SessionDep): ...

    StaffOrLawyer = Annotated[Principal, require_roles(Role.PROCURATORATE_STAFF, Role.LAWYER)]
    router = APIRouter(dependencies=[require_roles(Role.OPERATOR)])   # a whole router

Function-level only: the object-level check (is this case in the caller's unit?) belongs in
the query that loads the case, so another unit's case is a 404 and never loaded.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service_runtime.errors import Forbidden, Unauthenticated
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import InvalidToken, TokenVerifier

# auto_error=False: our own 401 body and WWW-Authenticate header, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A JWT from the identity provider (locally: "
    "`python -m service_runtime.security.tokens issue --role … --agency …`).",
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise Unauthenticated(str(exc)) from None
    request.state.principal = principal  # for the audit log and request logs
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Any:
    """A dependency admitting only ``roles`` (403 otherwise); its value is the principal."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(role.value for role in allowed))

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"this route is for {names}; the caller is {principal.role.value}")
        return principal

    return Depends(check)


Operator = Annotated[Principal, require_roles(Role.OPERATOR)]
