"""A case's personal data written by an event handler is audited (issue 7): the actor is the
consuming service (``system``, its consumer group as subject), the entry is committed in the
handler's own transaction, and the chain still verifies with the operators' command."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from defense_schemas import BaseEvent, Envelope
from defense_schemas import examples as ex
from defense_schemas.events import procuratorate as pr
from defense_schemas.events.intake import CaseTransferred
from defense_schemas.vocabulary import ReceiptKind
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.settings import ServiceSettings
from tests.infrastructure import ROOT, RunningService, own_topics, run_service
from tests.security.audit_cli import verify_audit_cli

sys.path.insert(0, str(ROOT / "services" / "procuratorate" / "tests" / "integration"))
from procuratorate_factories import case, suspect

pytestmark = pytest.mark.integration


async def _settings(service_settings: Any, settings_class: type[Any], label: str) -> Any:
    return await service_settings(
        settings_class, label.replace("-", "_"), topic_partitions=1, **own_topics(label)
    )


async def _send(
    settings: ServiceSettings, topic: str, events: list[tuple[BaseEvent, str]], case_id: uuid.UUID
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event, who in events:
            envelope = Envelope.for_event(event, case_id=case_id, producer=who)
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()


async def _system_entries(running: RunningService, case_id: uuid.UUID, count: int) -> list[Any]:
    table = running.runtime.definition.tables.audit_log

    async def entries() -> list[Any]:
        async with running.runtime.sessions() as session:
            rows = await session.execute(
                sa.select(table)
                .where(table.c.case_id == case_id, table.c.role == "system")
                .order_by(table.c.id)
            )
            return list(rows)

    deadline = asyncio.get_running_loop().time() + 20
    while len(found := await entries()) < count:
        assert asyncio.get_running_loop().time() < deadline, f"audit entries: {found}"
        await asyncio.sleep(0.1)
    return found


async def test_a_transfer_arriving_by_kafka_is_audited_by_the_procuratorate(
    service_settings: Callable[..., Any],
) -> None:
    settings = await _settings(service_settings, ProcuratorateSettings, "audit-intake")
    body = case(suspect(id_number="12010219900101123X"))
    particulars = {k: v for k, v in body.items() if k not in ("received_at", "prosecutor")}
    event = CaseTransferred.model_validate(
        {**particulars, "transfer_kind": "initial", "transferred_at": "2026-03-02T08:00:00+08:00"}
    )
    case_id = uuid.uuid4()
    async with run_service(procuratorate_app(settings), settings) as running:
        await _send(settings, settings.topic_intake, [(event, "tj-psb-hedong")], case_id)
        [entry] = await _system_entries(running, case_id, 1)
    assert (entry.subject, entry.role, entry.action) == (settings.consumer_group, "system", "write")
    assert entry.resource == "event:CaseTransferred" and "suspect.id_number" in entry.fields
    assert entry.service == "procuratorate"
    code, output = await verify_audit_cli(str(settings.database_url))
    assert code == 0 and "intact" in output, output


async def test_a_case_and_its_letter_arriving_by_kafka_are_audited_by_the_aid_center(
    service_settings: Callable[..., Any],
) -> None:
    settings = await _settings(service_settings, AidCenterSettings, "audit-center")
    received = pr.CaseReceived(
        **dict(ex.CASE),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=ex.at(2, 15),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=ex.PROSECUTOR,
    )
    notice = pr.DefenseNoticeSent(
        notice_id=ex.NOTICE, suspect_id=ex.LI, sent_at=ex.at(4), letter=ex.LETTER, materials=()
    )
    case_id = uuid.uuid4()
    async with run_service(aid_center_app(settings), settings) as running:
        await _send(
            settings,
            settings.topic_procuratorate,
            [(received, "procuratorate"), (notice, "procuratorate")],
            case_id,
        )
        entries = await _system_entries(running, case_id, 2)
    assert [e.resource for e in entries] == ["event:CaseReceived", "event:DefenseNoticeSent"]
    assert {e.subject for e in entries} == {settings.consumer_group}
    assert "suspect.place_of_detention_or_residence" in entries[0].fields
    assert "notice.letter.guardian" in entries[1].fields
    code, output = await verify_audit_cli(str(settings.database_url))
    assert code == 0 and "intact" in output, output
