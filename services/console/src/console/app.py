"""The console's app: pages by role over the three services' REST APIs."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from console.api import ApiClients, ApiProblem
from console.lag_history import LagHistory
from console.oidc import OidcClient
from console.pages import (
    aid_center,
    applications,
    lawyer,
    notifier,
    operations,
    procuratorate,
    signin,
    subsidies,
)
from console.session import SessionStore
from console.settings import ConsoleSettings
from console.web import CsrfRefused, NotSignedIn, WrongRole, visit
from service_runtime.security.tokens import TokenVerifier

log = logging.getLogger("console")


def create_app(
    settings: ConsoleSettings,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``transports`` (service name → transport) and ``oidc_transport`` let tests run the
    services and an identity provider in process; otherwise the configured URLs are called."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        oidc_http = httpx.AsyncClient(
            timeout=settings.api_timeout_seconds, transport=oidc_transport
        )
        app.state.api = ApiClients(
            {
                "procuratorate": settings.procuratorate_url,
                "aid_center": settings.aid_center_url,
                "notifier": settings.notifier_url,
            },
            timeout=settings.api_timeout_seconds,
            transports=transports,
        )
        app.state.oidc = (
            OidcClient(
                issuer=settings.oidc_issuer or "",
                client_id=settings.oidc_client_id or "",
                client_secret=(
                    settings.oidc_client_secret.get_secret_value()
                    if settings.oidc_client_secret
                    else None
                ),
                redirect_uri=settings.public_url.rstrip("/") + "/auth/callback",
                scopes=settings.oidc_scopes,
                http=oidc_http,
            )
            if settings.oidc_configured
            else None
        )
        try:
            yield
        finally:
            await app.state.api.close()
            await oidc_http.aclose()

    app = FastAPI(
        title="console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.sessions = SessionStore(
        settings.session_key.get_secret_value(),
        max_age_seconds=settings.session_max_age_seconds,
        secure=not settings.development,
    )
    app.state.verifier = TokenVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        secret=None if settings.auth_jwks_url else settings.auth_jwt_secret.get_secret_value(),
        jwks_url=settings.auth_jwks_url,
        leeway_seconds=settings.auth_leeway_seconds,
        max_lifetime_seconds=settings.auth_max_token_lifetime_seconds,
    )
    # One history per process: a reload shows the last minutes (console.lag_history).
    app.state.lag_history = LagHistory()
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    for module in (
        signin,
        procuratorate,
        aid_center,
        applications,
        subsidies,
        lawyer,
        operations,
        notifier,
    ):
        app.include_router(module.router)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return (await visit(request)).redirect("/signin")

    @app.exception_handler(WrongRole)
    async def wrong_role(request: Request, exc: WrongRole) -> Response:
        current = await visit(request)
        problem = ApiProblem(
            403, {"title": "无权访问", "detail": "此页面不属于您的角色。", "code": "forbidden"}
        )
        return current.render("error.html", status=403, problem=problem)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        current = await visit(request)
        problem = ApiProblem(
            403,
            {
                "title": "表单已失效",
                "detail": "请刷新页面后重新提交（防跨站请求伪造校验未通过）。",
                "code": "forbidden",
            },
        )
        return current.render("error.html", status=403, problem=problem)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        current = await visit(request)
        if exc.status == 401:
            # The token expired or was revoked between the check and the call.
            current.session.pop("token", None)
            return current.redirect("/signin")
        return current.render("error.html", status=exc.status, problem=exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        current = await visit(request)
        titles = {404: "页面不存在", 405: "不支持的操作"}
        problem = ApiProblem(
            exc.status_code, {"title": titles.get(exc.status_code, "请求无法处理"), "detail": ""}
        )
        return current.render("error.html", status=exc.status_code, problem=problem)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        current = await visit(request)
        errors = [{"parameter": str(e["loc"][-1]), "detail": str(e["msg"])} for e in exc.errors()]
        problem = ApiProblem(
            422,
            {"title": "请求格式有误", "detail": "", "code": "validation_failed", "errors": errors},
        )
        return current.render("error.html", status=422, problem=problem)

    @app.middleware("http")
    async def contain_bugs(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Caught here, inside Starlette's error middleware, which would log the traceback (an
        # exception's message may hold case data) after any handler of its own had answered.
        try:
            return await call_next(request)
        except Exception as exc:
            return await bug(request, exc)

    async def bug(request: Request, exc: Exception) -> Response:
        # The type and a reference only.
        reference = uuid.uuid4().hex[:12]
        log.error("console error %s: %s", reference, type(exc).__name__)
        current = await visit(request)
        problem = ApiProblem(
            500,
            {
                "title": "控制台内部错误",
                "detail": f"错误编号 {reference}",
                "code": "internal_error",
            },
        )
        return current.render("error.html", status=500, problem=problem)

    return app
