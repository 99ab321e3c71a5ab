"""What every page shares: who is signed in, rendering with the session saved and personal
pages marked ``no-store``, form checks (CSRF) and the APIs' problems mapped onto form fields."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from console.api import ApiClients, ApiProblem, UserApi
from console.labels import zh
from console.oidc import OidcClient, SignInFailed, expires_at
from console.session import SessionStore, csrf_matches, new_csrf_token
from console.settings import ConsoleSettings
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import InvalidToken, TokenVerifier

R = TypeVar("R", bound=Response)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["zh"] = zh

ROLE_NAMES = {
    Role.PROCURATORATE_STAFF: "检察院工作人员",
    Role.AID_CENTER_STAFF: "法律援助中心工作人员",
    Role.LAWYER: "律师",
    Role.OPERATOR: "运维人员",
}

# Each role's pages, in the order of the navigation.
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.PROCURATORATE_STAFF: [
        ("/procuratorate/today", "今日工作"),
        ("/procuratorate/cases", "案件"),
        ("/procuratorate/ledger", "台账与统计"),
    ],
    Role.AID_CENTER_STAFF: [
        ("/aid-center/notices", "通知辩护队列"),
        ("/aid-center/applications", "法律援助申请"),
        ("/aid-center/unassignable", "无法指派"),
        ("/aid-center/duty-requests", "值班律师申请"),
        ("/aid-center/lawyers", "律师名册"),
        ("/aid-center/stations", "值班工作站"),
        ("/aid-center/subsidies", "办案补贴"),
        ("/notifier/deadlines", "期限看板"),
    ],
    Role.LAWYER: [("/lawyer/assignments", "我的指派")],
    Role.OPERATOR: [
        ("/ops/lag", "消费延迟"),
        ("/ops/dead-letters", "死信"),
        ("/ops/calendar", "法定日历"),
        ("/ops/readiness", "服务就绪"),
        ("/ops/templates", "通知模板"),
        ("/notifier/deadlines", "期限看板"),
    ],
}


class NotSignedIn(Exception):
    pass


class WrongRole(Exception):
    pass


class CsrfRefused(Exception):
    pass


@dataclass
class Visit:
    """One request of one person: their session, who they are, the APIs as they see them."""

    request: Request
    settings: ConsoleSettings
    store: SessionStore
    session: dict[str, Any]
    principal: Principal | None
    api: UserApi
    form: dict[str, str] = field(default_factory=dict)
    form_lists: dict[str, list[str]] = field(default_factory=dict)

    def require(self, *roles: Role) -> Principal:
        if self.principal is None:
            raise NotSignedIn
        if roles and self.principal.role not in roles:
            raise WrongRole
        return self.principal

    def flash(self, message: str) -> None:
        self.session["flash"] = message

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        flash = self.session.pop("flash", None)
        response = TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "visit": self,
                "principal": self.principal,
                "role_name": ROLE_NAMES.get(self.principal.role) if self.principal else None,
                "navigation": NAVIGATION.get(self.principal.role, []) if self.principal else [],
                "csrf": self.session.get("csrf", ""),
                "development": self.settings.development,
                "flash": flash,
                "errors": {},
                "form": self.form,
                **context,
            },
            status_code=status,
        )
        return self.finish(response)

    def redirect(self, url: str) -> RedirectResponse:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: R) -> R:
        # Pages carry case data and the cookie a token: nothing is kept by a browser or proxy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'"
        )
        self.store.save(response, self.session)
        return response

    def text(self, name: str) -> str:
        return self.form.get(name, "").strip()

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def lines(self, name: str) -> list[str]:
        """A textarea or comma-separated field as a list (blank entries dropped)."""
        raw = self.form.get(name, "").replace("，", ",").replace("\n", ",")
        return [item.strip() for item in raw.split(",") if item.strip()]


async def visit(request: Request) -> Visit:
    app = request.app
    settings: ConsoleSettings = app.state.settings
    store: SessionStore = app.state.sessions
    verifier: TokenVerifier = app.state.verifier
    clients: ApiClients = app.state.api
    session = store.load(request)
    session.setdefault("csrf", new_csrf_token())
    principal = None
    token = session.get("token")
    if isinstance(token, str) and app.state.oidc is not None:
        token = await _renewed(app.state.oidc, settings, session, token)
    if isinstance(token, str):
        try:
            principal = await verifier.verify(token)
        except InvalidToken:
            # Expired or no longer trusted: the person signs in again.
            session.pop("token", None)
            session.pop("refresh_token", None)
            token = None
    return Visit(
        request=request,
        settings=settings,
        store=store,
        session=session,
        principal=principal,
        api=clients.as_user(token if principal else None),
    )


async def _renewed(
    oidc: OidcClient, settings: ConsoleSettings, session: dict[str, Any], token: str
) -> str | None:
    """The session's access token, renewed with its refresh token when it expires within the
    margin: a page must not call an API with a token that runs out on the way. A refused
    renewal ends the session (the person signs in again); without a refresh token the access
    token serves until it expires."""
    refresh_token = session.get("refresh_token")
    if not isinstance(refresh_token, str):
        return token
    expiry = expires_at(token)
    if expiry is not None and expiry - time.time() > settings.oidc_refresh_margin_seconds:
        return token
    try:
        renewed = await oidc.refresh(refresh_token)
    except SignInFailed:
        session.pop("token", None)
        session.pop("refresh_token", None)
        session["flash"] = "登录已过期，请重新登录。"
        return None
    session["token"] = renewed.access_token
    session["refresh_token"] = renewed.refresh_token
    return renewed.access_token


async def form_visit(request: Request) -> Visit:
    """A visit posting a form: the form must carry the session's CSRF token."""
    current = await visit(request)
    form = await request.form()
    current.form = {k: v for k, v in form.items() if isinstance(v, str)}
    current.form_lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    if not csrf_matches(current.session, current.form.get("csrf")):
        raise CsrfRefused
    return current


def correctable(problem: ApiProblem) -> bool:
    """A refusal the person can act on (a 4xx other than 401), shown with the form at its
    fields; anything else is the error page."""
    return 400 <= problem.status < 500 and problem.status != 401


def field_errors(problem: ApiProblem, fields: Iterable[str] = ()) -> dict[str, list[str]]:
    """The problem's ``errors`` by form field. Fields are named after the JSON pointer of the
    body member they fill (``informed/0/name``) or the query parameter; an error whose pointer
    names no field is put on its nearest named parent, else on the whole form (``""``)."""
    known = set(fields)
    found: dict[str, list[str]] = {}
    for error in problem.errors:
        message = str(error.get("detail") or problem.detail or problem.title)
        name = ""
        if isinstance(error.get("pointer"), str):
            path = error["pointer"].removeprefix("#").strip("/")
            while path and known and path not in known:
                path = path.rpartition("/")[0]
            name = path
        elif isinstance(error.get("parameter"), str):
            name = error["parameter"]
        if known and name not in known:
            name = ""
        found.setdefault(name, []).append(message)
    if not found:
        found[""] = [problem.detail or problem.title]
    return found
