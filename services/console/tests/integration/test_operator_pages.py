"""The operator's lag chart and readiness page over stand-in services (httpx mock transports):
the chart's history belongs to the console process, so a reload, or another operator, sees the
readings taken before; readiness names every service, a failing one with its checks."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from console.app import create_app
from console.lag_history import LagHistory
from console.settings import ConsoleSettings

CONSOLE = "http://console.test"


class StandIns:
    """The three services' operator routes, with a lag the test sets."""

    def __init__(self) -> None:
        self.lag = 0
        self.aid_center_ready = True

    def transport(self, service: str) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/ops/lag":
                row = {
                    "group": f"{service}-group",
                    "topic": f"{service}-topic",
                    "partition": 0,
                    "committed_offset": 10,
                    "end_offset": 10 + self.lag,
                    "lag": self.lag,
                }
                return httpx.Response(200, json={"items": [row], "next_cursor": None})
            if request.url.path == "/ready":
                if service == "aid_center" and not self.aid_center_ready:
                    return httpx.Response(503, json={"checks": {"database": "unreachable"}})
                return httpx.Response(200, json={"checks": {"database": "ok", "kafka": "ok"}})
            return httpx.Response(404, json={"title": "Not Found"})

        return httpx.MockTransport(answer)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def console(
    stand_ins: StandIns, clock: Clock | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    transports = {s: stand_ins.transport(s) for s in ("procuratorate", "aid_center", "notifier")}
    app = create_app(ConsoleSettings(deployment_mode="development"), transports=transports)
    app.state.lag_history = LagHistory(clock=clock or Clock())
    async with app.router.lifespan_context(app):
        yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE)


async def _operator(client: httpx.AsyncClient) -> httpx.AsyncClient:
    page = await client.get("/signin")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf is not None
    signed_in = await client.post(
        "/signin/development", data={"csrf": csrf.group(1), "role": "operator"}
    )
    assert signed_in.status_code == 303
    return client


def _points(html: str, group: str) -> int:
    found = re.search(r'<polyline [^>]*points="([^"]*)"', html)
    assert found is not None and group in html
    return len(found.group(1).split())


async def test_a_reload_and_another_operator_see_the_readings_taken_before() -> None:
    stand_ins, clock = StandIns(), Clock()
    async with console(stand_ins, clock) as first:
        await _operator(first)
        stand_ins.lag = 42
        assert "最高 42" in (await first.get("/ops/lag")).text
        clock.now += 6
        async with httpx.AsyncClient(transport=first._transport, base_url=CONSOLE) as second:
            await _operator(second)
            stand_ins.lag = 7
            page = await second.get("/ops/lag")
        # The first operator's reading (42) is on the second operator's first page.
        assert "最高 42" in page.text and "procuratorate-group：7" in page.text
        assert _points(page.text, "procuratorate-group") == 2
        clock.now += 1
        reloaded = await first.get("/ops/lag")  # within the interval: replaces the last
        assert _points(reloaded.text, "procuratorate-group") == 2
        assert "最高 42" in reloaded.text


async def test_readiness_names_every_service_and_a_failing_ones_checks() -> None:
    stand_ins = StandIns()
    stand_ins.aid_center_ready = False
    async with console(stand_ins) as client:
        await _operator(client)
        page = await client.get("/ops/readiness")
    assert page.status_code == 200
    rows = re.findall(r'data-testid="ready-(\w+)"', page.text)
    assert rows == ["console", "procuratorate", "aid_center", "notifier"]
    assert page.text.count("未就绪（503）") == 1
    assert "database: unreachable" in page.text


class TemplateStore:
    """The notifier's template routes: a version, its ETag, and If-Match honoured."""

    def __init__(self) -> None:
        self.version = 1
        self.subject = "法律援助指派通知"
        self.if_match_seen: list[str | None] = []

    def view(self) -> dict[str, object]:
        return {
            "event_type": "LawyerAssigned",
            "recipient_role": "lawyer",
            "subject": self.subject,
            "body": "正文",
            "version": self.version,
            "updated_at": "2026-11-30T08:00:00+08:00",
        }

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            etag = f'"v{self.version}"'
            if request.url.path != "/templates/LawyerAssigned/lawyer":
                return httpx.Response(404, json={"title": "Not Found"})
            if request.method == "PUT":
                sent = request.headers.get("if-match")
                self.if_match_seen.append(sent)
                if sent is not None and sent != etag:
                    return httpx.Response(412, json={"title": "Precondition Failed"})
                self.version += 1
                self.subject = httpx.Response(200, content=request.content).json()["subject"]
            return httpx.Response(200, json=self.view(), headers={"ETag": f'"v{self.version}"'})

        return httpx.MockTransport(answer)


async def test_a_template_edited_meanwhile_is_not_overwritten() -> None:
    store = TemplateStore()
    transports = {"notifier": store.transport()}
    app = create_app(ConsoleSettings(deployment_mode="development"), transports=transports)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as client,
    ):
        await _operator(client)
        page = await client.get("/ops/templates/LawyerAssigned/lawyer")
        assert 'name="etag" value="&#34;v1&#34;"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        store.version, store.subject = 2, "另一位运维人员的修改"
        form = {"csrf": csrf.group(1), "etag": '"v1"', "subject": "我的修改", "body": "正文"}
        refused = await client.post("/ops/templates/LawyerAssigned/lawyer", data=form)
        assert refused.status_code == 412
        assert "模板已被他人修改" in refused.text
        assert store.subject == "另一位运维人员的修改"  # not overwritten
        # The form comes back with the stored version's tag: sent again, it is accepted.
        assert 'name="etag" value="&#34;v2&#34;"' in refused.text
        saved = await client.post(
            "/ops/templates/LawyerAssigned/lawyer", data={**form, "etag": '"v2"'}
        )
        assert saved.status_code == 303
    assert store.subject == "我的修改"
    assert store.if_match_seen == ['"v1"', '"v2"']
