"""The console's pure rules: errors mapped to form fields, today's work ordered by urgency, the
the session cookie's seal."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.requests import Request
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.procuratorate import due_items
from console.session import COOKIE, SessionStore, csrf_matches
from console.web import field_errors


def _problem(*errors: dict[str, str]) -> ApiProblem:
    return ApiProblem(422, {"title": "The request is malformed", "errors": list(errors)})


def test_a_pointer_lands_on_the_field_of_the_same_name() -> None:
    problem = _problem({"pointer": "#/informed/0/name", "detail": "too short"})
    assert field_errors(problem, ["informed/0/name", "notified_at"]) == {
        "informed/0/name": ["too short"]
    }


def test_a_pointer_below_a_field_lands_on_its_nearest_named_parent() -> None:
    problem = _problem({"pointer": "#/counsel/contact/0", "detail": "bad"})
    assert field_errors(problem, ["counsel/contact"]) == {"counsel/contact": ["bad"]}


def test_a_query_parameter_lands_on_its_field_and_an_unknown_one_on_the_form() -> None:
    problem = _problem(
        {"parameter": "received_to", "in": "query", "detail": "before start"},
        {"pointer": "#/elsewhere", "detail": "no field"},
    )
    assert field_errors(problem, ["received_to"]) == {
        "received_to": ["before start"],
        "": ["no field"],
    }


def test_a_problem_without_errors_is_shown_on_the_whole_form() -> None:
    problem = ApiProblem(409, {"title": "Conflict", "detail": "the case is closed"})
    assert field_errors(problem, ["choice"]) == {"": ["the case is closed"]}


def _row(number: str, *clocks: dict[str, object]) -> dict[str, object]:
    return {"transfer_number": number, "clocks": list(clocks)}


def test_todays_work_puts_overdue_first_then_approaching_and_skips_met_clocks() -> None:
    on = date(2026, 3, 10)
    rows = [
        _row("A", {"kind": "assignment", "due_on": "2026-03-20", "outcome": None}),
        _row("B", {"kind": "rights_notification", "due_on": "2026-03-11", "outcome": None}),
        _row("C", {"kind": "notice_dispatch", "due_on": "2026-03-09", "outcome": None}),
        _row("D", {"kind": "notice_dispatch", "due_on": "2026-03-01", "outcome": "met"}),
    ]
    items = due_items(rows, on)  # type: ignore[arg-type]
    assert [(i["row"]["transfer_number"], i["state"]) for i in items] == [
        ("C", "overdue"),
        ("B", "approaching"),
        ("A", "open"),
    ]


def _request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "headers": headers, "method": "GET", "path": "/"})


def test_the_session_cookie_is_sealed_httponly_strict_and_secure_outside_development() -> None:
    store = SessionStore("k", max_age_seconds=600, secure=True)
    response = Response()
    store.save(response, {"token": "secret-token", "csrf": "x"})
    header = response.headers["set-cookie"]
    assert "secret-token" not in header
    assert "HttpOnly" in header and "SameSite=strict" in header and "Secure" in header
    sealed = header.split(";")[0].split("=", 1)[1]
    assert store.load(_request_with(sealed)) == {"token": "secret-token", "csrf": "x"}


@pytest.mark.parametrize("tamper", ["altered", "other key"])
def test_an_altered_or_foreign_cookie_signs_nobody_in(tamper: str) -> None:
    store = SessionStore("k", max_age_seconds=600, secure=False)
    sealed = store.seal({"token": "t"})
    if tamper == "altered":
        sealed = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    else:
        sealed = SessionStore("other", max_age_seconds=600, secure=False).seal({"token": "t"})
    assert store.load(_request_with(sealed)) == {}


def test_a_form_without_the_sessions_csrf_token_is_refused() -> None:
    assert csrf_matches({"csrf": "abc"}, "abc")
    assert not csrf_matches({"csrf": "abc"}, "abd")
    assert not csrf_matches({"csrf": "abc"}, None)
    assert not csrf_matches({}, "")
