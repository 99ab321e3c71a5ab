"""Operators' endpoints shared by every service: dead letters (list, replay)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from defense_messaging.dead_letters import (
    AlreadyReplayed,
    DeadLetter,
    DeadLetterNotFound,
    list_dead_letters,
    replay_dead_letter,
)
from service_runtime.deps import RuntimeDep, SessionDep
from service_runtime.errors import ERROR_RESPONSES, Conflict, NotFound

router = APIRouter(prefix="/ops", tags=["operations"])


class DeadLetterView(BaseModel):
    id: int
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None
    event_id: str | None
    event_type: str | None
    error_kind: str
    error: str
    dead_lettered_at: datetime
    replayed_at: datetime | None
    value: str

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterView:
        fields = {name: getattr(letter, name) for name in cls.model_fields if name != "value"}
        return cls(**fields, value=letter.value.decode("utf-8", errors="replace"))


@router.get("/dead-letters", summary="Dead letters this service filed, oldest first")
async def get_dead_letters(
    runtime: RuntimeDep,
    session: SessionDep,
    include_replayed: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[DeadLetterView]:
    letters = await list_dead_letters(
        session, runtime.tables, include_replayed=include_replayed, limit=limit, offset=offset
    )
    return [DeadLetterView.of(letter) for letter in letters]


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    summary="Put a dead letter back on its source topic (after fixing its cause)",
    responses=ERROR_RESPONSES,
)
async def replay(dead_letter_id: int, runtime: RuntimeDep, session: SessionDep) -> DeadLetterView:
    try:
        letter = await replay_dead_letter(session, runtime.tables, runtime.outbox, dead_letter_id)
    except DeadLetterNotFound:
        raise NotFound("dead letter", dead_letter_id) from None
    except AlreadyReplayed:
        raise Conflict(f"dead letter {dead_letter_id} was already replayed") from None
    return DeadLetterView.of(letter)
