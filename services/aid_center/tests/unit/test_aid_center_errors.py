"""The aid center's one mapping of domain refusals: the served app (built from the service
definition alone, as ``python -m aid_center`` builds it) answers them with the project's HTTP
errors, and a consumed event they refuse is a permanent failure (dead letter)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi import Request

from aid_center.domain.errors import DomainError, NotKnown, RuleViolation, StateConflict
from aid_center.errors import as_permanent, permanent
from aid_center.service import definition
from aid_center.settings import AidCenterSettings
from defense_messaging import PermanentEventError
from defense_schemas import Envelope
from defense_schemas.events.aid_center import AssignmentFailed
from defense_schemas.vocabulary import AssignmentFailureReason
from service_runtime.app import build_app


async def _answer(error: DomainError) -> tuple[int, dict[str, Any]]:
    app = build_app(definition(), AidCenterSettings())
    handler = app.exception_handlers[DomainError]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = await handler(request, error)  # type: ignore[misc]
    assert response.media_type == "application/problem+json"
    body = json.loads(bytes(response.body))
    assert body.pop("instance").startswith("urn:uuid:")
    body.pop("title")
    return response.status_code, body


def _problem(status: int, code: str, detail: str, *errors: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:defense-coverage:problem:{code}",
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [{"pointer": pointer, "detail": detail} for pointer in errors]
    return body


async def test_the_served_app_answers_each_kind_with_its_status_and_problem() -> None:
    lawyer = uuid.uuid4()
    refusal = StateConflict(f"lawyer {lawyer} is not on the roster", field="lawyer_id")
    assert await _answer(refusal) == (
        409,
        _problem(409, "conflict", f"lawyer {lawyer} is not on the roster", "#/lawyer_id"),
    )
    assert await _answer(RuleViolation("each measure once", field="measures")) == (
        400,
        _problem(400, "invalid_input", "each measure once", "#/measures"),
    )
    assert await _answer(NotKnown("assignment", lawyer)) == (
        404,
        _problem(404, "not_found", f"assignment {lawyer} not found"),
    )


async def test_a_refused_event_is_a_permanent_failure() -> None:
    async def refuses(uow: Any, envelope: Envelope, event: Any) -> None:
        raise StateConflict("assignment is no longer active", field="status")

    event = AssignmentFailed.model_validate(
        {
            "suspect_id": str(uuid.uuid4()),
            "notice_id": str(uuid.uuid4()),
            "reason": next(iter(AssignmentFailureReason)).value,
            "failed_at": "2026-03-03T02:00:00Z",
        }
    )
    envelope = Envelope.for_event(event, case_id=uuid.uuid4(), producer="aid-center")
    with pytest.raises(PermanentEventError, match="no longer active"):
        await permanent(refuses)(None, envelope, event)
    assert isinstance(as_permanent(NotKnown("notice", 1)), PermanentEventError)
