"""Signing in and out: OIDC (authorization code + PKCE) in production; in development only, a
local sign-in issuing a token for a chosen role with the published development key."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from console.oidc import OidcClient, PendingSignIn, SignInFailed
from console.session import new_csrf_token
from console.web import NAVIGATION, Visit, form_visit, visit
from service_runtime.security.principal import InvalidPrincipal, Principal, Role
from service_runtime.security.tokens import InvalidToken, issue_token

router = APIRouter()
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
PENDING_COOKIE = "dc_console_oidc"


@router.get("/")
async def home(current: VisitDep) -> Response:
    if current.principal is None:
        return current.redirect("/signin")
    return current.redirect(NAVIGATION[current.principal.role][0][0])


@router.get("/signin")
async def signin_page(current: VisitDep) -> Response:
    return current.render("signin.html", oidc=current.request.app.state.oidc is not None)


@router.post("/signin/development")
async def development_signin(current: FormDep) -> Response:
    if not current.settings.development:
        # The local key is published: a token signed with it must never be issued elsewhere.
        return current.render(
            "signin.html",
            status=403,
            oidc=current.request.app.state.oidc is not None,
            errors={"": ["开发登录仅在开发模式下可用。"]},
        )
    try:
        principal = Principal.from_claims(
            {
                "sub": f"console-dev-{uuid.uuid4().hex[:12]}",
                "role": current.text("role"),
                "agency": current.optional("agency"),
                "lawyer_id": current.optional("lawyer_id"),
            }
        )
    except InvalidPrincipal:
        role = current.text("role")
        field = "lawyer_id" if role == Role.LAWYER.value else "agency"
        if role not in {r.value for r in Role}:
            field = "role"
        message = {
            "role": "请选择角色。",
            "agency": "检察院和法律援助中心工作人员须填写所属单位。",
            "lawyer_id": "律师须填写名册编号。",
        }[field]
        return current.render(
            "signin.html",
            status=422,
            oidc=current.request.app.state.oidc is not None,
            errors={field: [message]},
        )
    settings = current.settings
    token = issue_token(
        principal,
        secret=settings.auth_jwt_secret.get_secret_value(),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl=timedelta(seconds=settings.session_max_age_seconds),
    )
    _start_session(current, token)
    return current.redirect("/")


@router.get("/auth/login")
async def oidc_login(current: VisitDep) -> Response:
    oidc: OidcClient | None = current.request.app.state.oidc
    if oidc is None:
        return current.redirect("/signin")
    pending = PendingSignIn.new()
    try:
        url = await oidc.authorization_url(pending)
    except SignInFailed as exc:
        return current.render("signin.html", status=502, oidc=True, errors={"": [str(exc)]})
    response = current.redirect(url)
    # The provider sends the browser back cross-site, when a SameSite=Strict cookie is not
    # sent: the pending sign-in rides in a Lax cookie of its own, sealed, for ten minutes.
    response.set_cookie(
        PENDING_COOKIE,
        current.store.seal(pending.as_dict()),
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=not current.settings.development,
        path="/auth/callback",
    )
    return response


@router.get("/auth/callback")
async def oidc_callback(request: Request, current: VisitDep) -> Response:
    oidc: OidcClient | None = request.app.state.oidc
    if oidc is None:
        return current.redirect("/signin")
    pending = _pending(request)
    state, code = request.query_params.get("state"), request.query_params.get("code")
    failure = None
    if pending is None or state != pending.state:
        failure = "登录请求已过期或不匹配，请重新登录。"
    elif not code:
        failure = "身份提供方未完成登录：" + request.query_params.get("error", "未知原因")
    if failure is None and code is not None and pending is not None:
        try:
            tokens = await oidc.exchange(code, pending)
            await request.app.state.verifier.verify(tokens.access_token)
        except SignInFailed as exc:
            failure = str(exc)
        except InvalidToken:
            failure = "访问令牌不被平台接受。"
        else:
            _start_session(current, tokens.access_token, tokens.refresh_token)
    response: Response
    if failure is not None:
        response = current.render("signin.html", status=400, oidc=True, errors={"": [failure]})
    else:
        # A same-site page moves on: the redirect chain began at the provider, so a redirect
        # from here would still be cross-site and arrive without the Strict session cookie.
        response = current.finish(
            HTMLResponse(
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                '<meta http-equiv="refresh" content="0;url=/"><title>已登录</title></head>'
                '<body><p><a href="/">已登录，进入控制台</a></p></body></html>'
            )
        )
    response.delete_cookie(PENDING_COOKIE, path="/auth/callback")
    return response


@router.post("/signout")
async def signout(current: FormDep) -> Response:
    """Ends the console's session (the token leaves the cookie) and, when the provider offers
    RP-initiated logout, sends the browser on to end the provider's session as well."""
    current.session.clear()
    current.session["csrf"] = new_csrf_token()
    oidc: OidcClient | None = current.request.app.state.oidc
    end_session = None
    if oidc is not None:
        end_session = await oidc.end_session_url(
            current.settings.public_url.rstrip("/") + "/signin"
        )
    if end_session is None:
        return current.redirect("/signin")
    # A page that moves on rather than a redirect: the Content-Security-Policy's form-action
    # 'self' would stop a form's redirect to the provider's origin.
    target = html.escape(end_session, quote=True)
    return current.finish(
        HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0;url={target}"><title>已退出</title></head>'
            f'<body><p>已退出控制台。<a href="{target}" data-testid="end-session">'
            "继续退出统一身份认证</a></p></body></html>"
        )
    )


def _start_session(current: Visit, token: str, refresh_token: str | None = None) -> None:
    current.session.clear()
    current.session["token"] = token
    if refresh_token:
        current.session["refresh_token"] = refresh_token
    # A fresh CSRF token per sign-in: one seen before signing in is worth nothing after.
    current.session["csrf"] = new_csrf_token()


def _pending(request: Request) -> PendingSignIn | None:
    store = request.app.state.sessions
    return PendingSignIn.from_dict(store.unseal(request.cookies.get(PENDING_COOKIE), max_age=600))
