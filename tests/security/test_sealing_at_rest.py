"""Outbox rows, dead letters' refusal texts and names are sealed at rest, and opened only where
they leave the database: the relay opens a row just before producing (the bytes on Kafka are
the contract's), the operator's dead-letter view opens the reason. The migrations' helpers
seal the rows written before, once, and open them back on a downgrade."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from defense_messaging.dead_letters import opened_error
from defense_schemas import dead_letter_topic
from defense_schemas.kafka_headers import kafka_headers
from service_runtime.security.fields import FieldCipher, FieldDecryptionError, generate_key
from service_runtime.security.personal import (
    DeadLetterSealer,
    OutboxSealer,
    seal_outbox_rows,
    seal_text_column,
)
from tests.infrastructure import RunningService, eventually, operator, read_topic
from tests.messaging import probe
from tests.messaging.probe import platform
from tests.messaging.test_hostile_messages import _applied_id, _filed, _send, running_probe  # noqa: F401

KEY, LOOKUP = generate_key(), generate_key()
CIPHER = FieldCipher({"k1": KEY}, "k1", LOOKUP)
outbox, dead = platform.messaging.outbox, platform.messaging.dead_letters
NAME = "王小明"

headers_strategy = st.lists(st.lists(st.text(max_size=30), min_size=2, max_size=2), max_size=6)


@given(row_id=st.integers(min_value=1, max_value=2**63 - 1), value=st.binary(max_size=4096))
def test_a_sealed_row_opens_to_its_bytes_only_under_its_own_id(row_id: int, value: bytes) -> None:
    sealer = OutboxSealer(CIPHER)
    stored, headers = sealer.seal(row_id, value, [["event_type", "X"]])
    assert sealer.open(row_id, stored, headers) == (value, [["event_type", "X"]])
    assert OutboxSealer.published_size(stored[:64], len(stored)) == len(value)
    with pytest.raises(FieldDecryptionError):
        sealer.open(row_id + 1, stored, headers)


@given(value=st.binary(max_size=256), headers=headers_strategy)
def test_a_row_written_without_a_sealer_reads_as_it_is(
    value: bytes, headers: list[list[str]]
) -> None:
    if value.startswith(OutboxSealer.MARKER):
        return  # what only a sealer writes
    assert OutboxSealer(CIPHER).open(7, value, headers) == (value, headers)
    assert OutboxSealer.published_size(value[:64], len(value)) == len(value)


@given(headers=headers_strategy)
def test_headers_are_sealed_and_open_whole(headers: list[list[str]]) -> None:
    sealer = OutboxSealer(CIPHER)
    _, stored = sealer.seal(3, b"{}", headers)
    if any(name not in OutboxSealer.CLEAR_HEADERS for name, _ in headers):
        assert isinstance(stored, str)
    assert sealer.open(3, b"{}", stored)[1] == headers


@given(error=st.text(max_size=500))
def test_a_refusal_text_is_sealed_to_its_source_position(error: str) -> None:
    sealer = DeadLetterSealer(CIPHER)
    stored = sealer.seal_error(error, ("t", 0, 5))
    assert stored.startswith(DeadLetterSealer.ERROR_MARKER)
    assert sealer.open_error(stored, ("t", 0, 5)) == error
    with pytest.raises(FieldDecryptionError):
        sealer.open_error(stored, ("t", 0, 6))


def test_sealing_and_opening_an_event_costs_microseconds() -> None:
    """The relay opens every row it publishes: the price per row stays far below a broker
    round trip (printed for the README's numbers)."""
    sealer = OutboxSealer(CIPHER)
    value = ("{" + '"name": "王小明", ' * 60 + "}").encode()
    headers = [["event_type", "CaseReceived"], ["schema_version", "1"], ["producer", "x"]]
    rounds = 2000
    started = time.perf_counter()
    for row_id in range(rounds):
        sealer.open(row_id, *sealer.seal(row_id, value, headers))
    per_row = (time.perf_counter() - started) / rounds
    print(f"seal+open of a {len(value)}-byte event: {per_row * 1e6:.1f} µs")
    assert per_row < 0.002


@pytest.mark.integration
async def test_the_outbox_stores_events_sealed_and_the_wire_gets_the_contracts_bytes(
    running_probe: RunningService,  # noqa: F811
) -> None:
    runtime = running_probe.runtime
    settings = running_probe.settings
    async with runtime.sessions() as session, session.begin():
        envelope = await runtime.publisher.publish(
            session, probe.decision(f"{NAME} 不需要辩护人"), case_id=uuid.uuid4()
        )
    async with runtime.sessions() as session:
        stored = (
            (await session.execute(sa.select(outbox).where(outbox.c.event_id == envelope.event_id)))
            .mappings()
            .one()
        )
    assert NAME.encode() not in bytes(stored["value"])
    assert stored["value"].startswith(OutboxSealer.MARKER)
    assert stored["headers"] == [list(pair) for pair in kafka_headers(envelope)], (
        "an event's own headers name nothing personal: kept in clear"
    )
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        runtime.publisher.topic,
        until=lambda found: any(r.value == envelope.to_bytes() for r in found),
    )
    record = next(r for r in records if r.value == envelope.to_bytes())
    assert dict(record.headers)["event_type"] == envelope.event_type.encode()


@pytest.mark.integration
async def test_a_sealed_row_that_does_not_open_is_parked_and_the_rows_behind_it_go_on(
    running_probe: RunningService,  # noqa: F811
) -> None:
    runtime = running_probe.runtime
    case_id = uuid.uuid4()
    async with runtime.sessions() as session, session.begin():
        first = await runtime.publisher.publish(
            session, probe.decision("copied-away"), case_id=case_id
        )
        behind = await runtime.publisher.publish(session, probe.decision("behind"), case_id=case_id)
        ids = {
            row.event_id: row.id
            for row in await session.execute(
                sa.select(outbox.c.event_id, outbox.c.id).where(
                    outbox.c.event_id.in_([first.event_id, behind.event_id])
                )
            )
        }
        # Before the commit, so no relay sees it: a ciphertext copied onto another row must
        # not be published as that row.
        await session.execute(
            sa.update(outbox)
            .where(outbox.c.id == ids[first.event_id])
            .values(
                value=sa.select(outbox.c.value)
                .where(outbox.c.id == ids[behind.event_id])
                .scalar_subquery()
            )
        )
    await eventually(lambda: _applied_id(running_probe, behind.event_id), what="the row behind")
    parked = (
        await running_probe.client.get("/ops/outbox/parked", headers=operator(runtime.settings))
    ).json()["items"]
    assert [row["event_id"] for row in parked] == [str(first.event_id)]
    assert "UnopenableRow" in parked[0]["last_error"]
    assert "copied-away" not in parked[0]["last_error"]


@pytest.mark.integration
async def test_a_dead_letters_reason_is_sealed_and_the_operator_reads_it(
    running_probe: RunningService,  # noqa: F811
) -> None:
    settings = running_probe.settings
    topic = settings.topic_procuratorate
    await _send(settings, topic, [(b"k", b"not json at all", [])])
    await eventually(lambda: _filed(running_probe, 1), what="the dead letter")
    async with running_probe.runtime.sessions() as session:
        row = (await session.execute(sa.select(dead))).mappings().one()
        reason = opened_error(session, row)
        copy = (
            await session.execute(
                sa.select(outbox.c.headers).where(outbox.c.topic == dead_letter_topic(topic))
            )
        ).scalar_one()
    assert isinstance(copy, str), "the copy's dlq.* headers are sealed with the row"
    assert row["error"].startswith(DeadLetterSealer.ERROR_MARKER)
    assert reason and reason not in row["error"]
    assert row["error_kind"] == "contract_violation", "the reason's kind stays clear"
    listed = (
        await running_probe.client.get("/ops/dead-letters", headers=operator(settings))
    ).json()["items"]
    assert listed[0]["error"] == reason
    records = await read_topic(
        settings.kafka_bootstrap_servers, dead_letter_topic(topic), until=lambda r: len(r) >= 1
    )
    headers = {name: raw.decode() for name, raw in records[0].headers}
    assert reason not in headers.values(), "the copy on Kafka says why by kind, not in clear"
    assert headers["dlq.reason"] == "the message breaks the event contract"


@pytest.mark.integration
async def test_the_migration_seals_rows_written_before_and_opens_them_back(
    running_probe: RunningService,  # noqa: F811
) -> None:
    runtime = running_probe.runtime
    cipher = FieldCipher.from_settings(running_probe.settings)
    clear: dict[str, Any] = {"value": f'{{"name": "{NAME}"}}'.encode(), "headers": [["a", NAME]]}
    async with runtime.engine.begin() as conn:
        row_id = await conn.scalar(
            sa.insert(outbox)
            .values(topic="nowhere", key=b"k", parked_at=sa.func.now(), **clear)
            .returning(outbox.c.id)
        )
        await conn.run_sync(lambda sync: seal_outbox_rows(sync, cipher))
        sealed = (await conn.execute(sa.select(outbox).where(outbox.c.id == row_id))).one()
        assert NAME.encode() not in bytes(sealed.value) and NAME not in str(sealed.headers)
        assert OutboxSealer(cipher).open(row_id, bytes(sealed.value), sealed.headers) == (
            clear["value"],
            clear["headers"],
        )
        await conn.run_sync(lambda sync: seal_outbox_rows(sync, cipher, opening=True))
        opened = (await conn.execute(sa.select(outbox).where(outbox.c.id == row_id))).one()
        assert (bytes(opened.value), opened.headers) == (clear["value"], clear["headers"])


@pytest.mark.integration
async def test_the_name_migration_seals_clear_values_once_and_opens_them_back(
    running_probe: RunningService,  # noqa: F811
) -> None:
    cipher = FieldCipher.from_settings(running_probe.settings)
    ids = [uuid.uuid4(), uuid.uuid4()]
    seal = {"table": "named", "key": "id", "column": "name", "field": "named.name"}
    async with running_probe.runtime.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE named (id uuid PRIMARY KEY, name text)"))
        await conn.execute(
            sa.text("INSERT INTO named VALUES (:a, :name), (:b, NULL)"),
            {"a": ids[0], "b": ids[1], "name": NAME},
        )

        async def names() -> dict[uuid.UUID, str | None]:
            rows = await conn.execute(sa.text("SELECT id, name FROM named"))
            return {row.id: row.name for row in rows}

        await conn.run_sync(lambda sync: seal_text_column(sync, cipher, **seal))
        once = await names()
        assert once[ids[1]] is None
        assert NAME not in str(once[ids[0]])
        assert cipher.decrypt(once[ids[0]] or "", field="named.name", record_id=ids[0]) == NAME
        await conn.run_sync(lambda sync: seal_text_column(sync, cipher, **seal))
        assert await names() == once, "a value that already opens is left as it is"
        await conn.run_sync(lambda sync: seal_text_column(sync, cipher, **seal, opening=True))
        assert await names() == {ids[0]: NAME, ids[1]: None}
