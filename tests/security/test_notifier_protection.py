"""The notifier protects what it keeps of people (issue 7): addresses, names and messages are
encrypted at rest (the worker decrypts only to send; one job per recipient still holds through
the keyed hash), each agency sees the clocks and deliveries of its own cases only, and what the
event handlers store is audited in their own transaction. Revision 0004 encrypts rows written
before it."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from alembic import command

from defense_schemas import BaseEvent, Envelope
from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.events.common import Lawyer, Officer
from defense_schemas.vocabulary import ReceiptKind
from notifier.db.personal import open_delivery
from notifier.handlers.batch import ProjectionBatch
from notifier.handlers.deliveries import insert_deliveries, plan_deliveries
from notifier.service import create_app
from notifier.settings import NotifierSettings
from service_runtime.migrations import alembic_config
from service_runtime.security.fields import FieldCipher
from service_runtime.security.principal import Role
from tests.infrastructure import ROOT, RunningService, bearer, operator, own_topics, run_service
from tests.security.audit_cli import verify_audit_cli

pytestmark = pytest.mark.integration

HEDONG, XIQING = ex.PROCURATORATE_UNIT, "天津市西青区人民检察院"
CENTER, OTHER_CENTER = ex.CENTER, "天津市西青区法律援助中心"
PROSECUTOR_PHONE, LAWYER_PHONE = "13812345678", "13987654321"
CASE_A, CASE_B = uuid.uuid4(), uuid.uuid4()
SMS_FILE = Path(tempfile.mkdtemp(prefix="notifier-protect-")) / "sms.jsonl"


def received(unit: str) -> pr.CaseReceived:
    return pr.CaseReceived(
        **{**dict(ex.CASE), "procuratorate_unit": unit},
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=ex.at(2, 15),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=Officer(name="王检察官", contact=PROSECUTOR_PHONE),
    )


ASSIGNED = aid.LawyerAssigned(
    assignment_id=ex.ASSIGNMENT,
    suspect_id=ex.LI,
    basis="notice",
    notice_id=ex.NOTICE,
    lawyer=Lawyer(**{**ex.LAWYER.model_dump(), "contact": LAWYER_PHONE}),
    assigned_at=ex.at(6),
)
# The letter names the case handler (承办检察官): the prosecutor's contact from then on.
LETTER = ex.LETTER.model_copy(
    update={"case_handler": Officer(name="王检察官", contact=PROSECUTOR_PHONE)}
)
NOTICE = pr.DefenseNoticeSent(
    notice_id=ex.NOTICE, suspect_id=ex.LI, sent_at=ex.at(4), letter=LETTER, materials=()
)


async def eventually(probe: Any, check: Any, timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not met in {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def notifier(service_settings: Any) -> AsyncIterator[tuple[RunningService, Envelope]]:
    settings = await service_settings(
        NotifierSettings,
        "notifier_protect",
        topic_partitions=1,
        **own_topics("notifier-protect"),
        sms_file_path=SMS_FILE,
        delivery_poll_interval_seconds=0.1,
        deadline_scan_interval_seconds=3600,
        webhook_secret="test-secret",
    )
    async with run_service(create_app(settings), settings) as running:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await producer.start()

        async def send(topic: str, event: BaseEvent, case_id: uuid.UUID, who: str) -> Envelope:
            envelope = Envelope.for_event(event, case_id=case_id, producer=who)
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
            return envelope

        try:
            await send(settings.topic_procuratorate, received(HEDONG), CASE_A, "procuratorate")
            await send(settings.topic_procuratorate, NOTICE, CASE_A, "procuratorate")
            await send(settings.topic_procuratorate, received(XIQING), CASE_B, "procuratorate")
            ops = operator(settings)

            async def board() -> Any:
                return (await running.client.get("/clocks", headers=ops)).json()["items"]

            # Both cases known (and the letter applied) before the lawyer's assignment.
            await eventually(
                board, lambda c: {x["case_id"] for x in c} >= {str(CASE_A), str(CASE_B)}
            )
            await eventually(
                board,
                lambda c: any(x["kind"] == "assignment" for x in c if x["case_id"] == str(CASE_A)),
            )
            assigned = await send(settings.topic_aid_center, ASSIGNED, CASE_A, "aid-center")

            async def log_a() -> Any:
                return (await running.client.get(f"/cases/{CASE_A}/deliveries", headers=ops)).json()

            await eventually(log_a, lambda log: log.get("delivered", 0) >= 2)
        finally:
            await producer.stop()
        yield running, assigned


def _plain_url(settings: Any) -> str:
    return str(settings.database_url).replace("+asyncpg", "")


async def test_addresses_names_and_messages_are_encrypted_at_rest(
    notifier: tuple[RunningService, Envelope],
) -> None:
    running, _ = notifier
    connection = await asyncpg.connect(_plain_url(running.settings))
    try:
        contacts = await connection.fetch("SELECT id, name, address FROM contacts")
        deliveries = await connection.fetch(
            "SELECT address, address_hash, recipient_name, subject, body FROM deliveries"
        )
    finally:
        await connection.close()
    assert len(contacts) >= 2 and len(deliveries) >= 2
    stored = [str(v) for row in [*contacts, *deliveries] for v in row.values() if v is not None]
    for secret in (PROSECUTOR_PHONE, LAWYER_PHONE, "王检察官", ex.LAWYER.name, "李某某"):
        assert not any(secret in value for value in stored), secret
    assert all(row["address"].startswith("v1:") for row in [*contacts, *deliveries])
    assert all(len(row["address_hash"]) == 64 for row in deliveries)

    # The worker decrypted to send; the API shows the plaintext to those allowed.
    sent = SMS_FILE.read_text(encoding="utf-8")
    assert PROSECUTOR_PHONE in sent and LAWYER_PHONE in sent
    log = (
        await running.client.get(f"/cases/{CASE_A}/deliveries", headers=operator(running.settings))
    ).json()
    assert {d["address"] for d in log["items"]} >= {PROSECUTOR_PHONE, LAWYER_PHONE}


async def test_one_job_per_recipient_still_holds_through_the_keyed_hash(
    notifier: tuple[RunningService, Envelope],
) -> None:
    running, assigned = notifier
    async with running.runtime.sessions() as session, session.begin():
        cipher = running.runtime.cipher
        batch = await ProjectionBatch.load(
            session, [assigned.case_id], cipher=cipher, now=running.runtime.clock()
        )
        jobs = plan_deliveries(batch, cipher, running.settings, assigned, ASSIGNED)  # type: ignore[arg-type]
        again = await insert_deliveries(session, jobs)
    assert jobs and again == set()


async def test_each_agency_sees_the_clocks_and_deliveries_of_its_own_cases(
    notifier: tuple[RunningService, Envelope],
) -> None:
    running, _ = notifier
    client, settings = running.client, running.settings
    log = (await client.get(f"/cases/{CASE_A}/deliveries", headers=operator(settings))).json()
    delivery_a = log["items"][0]["notification_id"]
    callers = {
        "hedong": bearer(settings, Role.PROCURATORATE_STAFF, agency=HEDONG),
        "xiqing": bearer(settings, Role.PROCURATORATE_STAFF, agency=XIQING),
        "center": bearer(settings, Role.AID_CENTER_STAFF, agency=CENTER),
        "other_center": bearer(settings, Role.AID_CENTER_STAFF, agency=OTHER_CENTER),
    }
    sees = {"hedong": {CASE_A}, "xiqing": {CASE_B}, "center": {CASE_A}, "other_center": set()}
    for who, headers in callers.items():
        board = await client.get("/clocks", params={"include_stopped": "true"}, headers=headers)
        assert board.status_code == 200
        assert {uuid.UUID(c["case_id"]) for c in board.json()["items"]} == sees[who], who
        for case_id in (CASE_A, CASE_B):
            response = await client.get(f"/cases/{case_id}/deliveries", headers=headers)
            assert response.status_code == (200 if case_id in sees[who] else 404), (who, case_id)
        one = await client.get(f"/deliveries/{delivery_a}", headers=headers)
        assert one.status_code == (200 if CASE_A in sees[who] else 404), who
        # Asking for another agency's case by id on the board does not reveal it either.
        filtered = await client.get("/clocks", params={"case_id": str(CASE_B)}, headers=headers)
        assert bool(filtered.json()["items"]) == (CASE_B in sees[who]), who


async def test_what_the_handlers_store_is_audited_in_their_transaction(
    notifier: tuple[RunningService, Envelope],
) -> None:
    running, assigned = notifier
    table = running.runtime.definition.tables.audit_log
    async with running.runtime.sessions() as session:
        rows = (
            await session.execute(
                sa.select(table).where(table.c.role == "system").order_by(table.c.id)
            )
        ).all()
    assert {row.subject for row in rows} == {running.settings.consumer_group}
    by_case = {(row.case_id, row.resource) for row in rows}
    assert (CASE_A, "event:CaseReceived") in by_case and (CASE_B, "event:CaseReceived") in by_case
    lawyer = next(row for row in rows if row.record_id == str(assigned.event_id))
    assert lawyer.action == "write" and "contacts.address" in lawyer.fields
    assert "deliveries.address" in lawyer.fields
    code, output = await verify_audit_cli(str(running.settings.database_url))
    assert code == 0 and "intact" in output, output


async def test_revision_0004_encrypts_the_rows_written_before_it(service_settings: Any) -> None:
    settings = await service_settings(NotifierSettings, "notifier_0004")
    cipher = FieldCipher.from_settings(settings)
    migrations = ROOT / "services" / "notifier" / "src" / "notifier" / "migrations"
    config = alembic_config(migrations, str(settings.database_url), field_cipher=cipher)
    await asyncio.to_thread(command.upgrade, config, "0003")
    delivery_id, case_id = uuid.uuid4(), uuid.uuid4()
    connection = await asyncpg.connect(_plain_url(settings))
    try:
        contact_id = await connection.fetchval(
            "INSERT INTO contacts (case_id, role, name, address, source_event_id) "
            "VALUES ($1, 'lawyer', '陈律师', $2, $3) RETURNING id",
            case_id,
            LAWYER_PHONE,
            uuid.uuid4(),
        )
        await connection.execute(
            "INSERT INTO deliveries (notification_id, case_id, about_event_id, about_event_type,"
            " correlation_id, recipient_role, recipient_name, channel, address, subject, body)"
            " VALUES ($1, $2, $3, 'LawyerAssigned', $3, 'lawyer', '陈律师', 'sms', $4,"
            " '指派通知', '陈律师：您已被指派')",
            delivery_id,
            case_id,
            uuid.uuid4(),
            LAWYER_PHONE,
        )
        await asyncio.to_thread(command.upgrade, config, "head")
        contact = await connection.fetchrow("SELECT * FROM contacts WHERE id = $1", contact_id)
        delivery = await connection.fetchrow(
            "SELECT * FROM deliveries WHERE notification_id = $1", delivery_id
        )
        assert LAWYER_PHONE not in contact["address"] and "陈律师" not in contact["name"]
        opened = open_delivery(cipher, dict(delivery))
        assert (opened["address"], opened["recipient_name"], opened["body"]) == (
            LAWYER_PHONE,
            "陈律师",
            "陈律师：您已被指派",
        )
        assert LAWYER_PHONE not in delivery["address"] and "陈律师" not in delivery["body"]
        assert delivery["address_hash"] == cipher.lookup_hash(
            LAWYER_PHONE, purpose="notifier.recipient_address"
        )
        await asyncio.to_thread(command.downgrade, config, "0003")
        assert (
            await connection.fetchval(
                "SELECT address FROM deliveries WHERE notification_id = $1", delivery_id
            )
            == LAWYER_PHONE
        )
    finally:
        await connection.close()
