"""The console's pure rules: errors mapped to form fields, the case page's records, the
session cookie's seal."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.procuratorate import facts_form, facts_patch, records_of
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


def test_the_case_page_lists_each_recorded_step_from_the_timeline() -> None:
    timeline = [
        {"event_type": "CaseReceived", "occurred_at": "t0", "payload": {}},
        {"event_type": "WrittenOpinionReceived", "occurred_at": "t1", "payload": {"a": 1}},
        {"event_type": "PleaAgreementWitnessed", "occurred_at": "t2", "payload": {"b": 2}},
        {"event_type": "WrittenOpinionReceived", "occurred_at": "t3", "payload": {"a": 3}},
    ]
    records = records_of(timeline)
    assert records["opinions"] == [{"a": 1, "occurred_at": "t1"}, {"a": 3, "occurred_at": "t3"}]
    assert records["pleas"] == [{"b": 2, "occurred_at": "t2"}]
    assert records["consultations"] == records["expedited"] == records["reappointments"] == []


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


def test_a_facts_correction_sends_only_what_the_person_changed() -> None:
    facts = {
        "birth_date": "1990-05-01",
        "disabilities": [],
        "limited_capacity": False,
        "charges": ["盗窃罪", "诈骗罪"],
        "admits_guilt": None,
        "custody_status": "detained",
    }
    read = facts_form(facts)
    # What a browser posts back: line breaks as CRLF, unchanged fields as they were shown.
    posted = {**read, "charges": "盗窃罪\r\n诈骗罪\r\n", "custody_status": "bail"}
    posted_read = {k: v.replace("\n", "\r\n") for k, v in read.items()}
    assert facts_patch(posted, {"disabilities": ["hearing"]}, posted_read) == {
        "custody_status": "bail",
        "disabilities": ["hearing"],
    }
    assert facts_patch({**read, "limited_capacity": "true"}, {}, read) == {"limited_capacity": True}
    assert facts_patch(dict(read), {}, read) == {}
