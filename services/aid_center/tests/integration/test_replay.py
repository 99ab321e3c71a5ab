"""A projection rebuilt from the topics is the projection the original center built, and the
rebuild decides and publishes nothing again (aid_center.replay).

The original center appoints lawyers for a workflow (letters complete and supplemented, a
written request for another lawyer, a conflict its staff record, counsel retained, an
escalation nobody on the roster can take, an application reviewed and granted, a duty lawyer
found on the rota); a second database, given the staff's tables as a
backup would restore them, is rebuilt from the two topics; every rebuilt table is compared
row for row (sealed fields opened), leaving out only the columns the README lists. Then the
rebuilt center runs as the live one: it goes on from the end offsets, numbering its replies on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition

from aid_center.db.personal import SUSPECT_NAME, open_letter, open_notice
from aid_center.db.tables import (
    activities,
    applications,
    assignments,
    cases,
    document_counters,
    duty_requests,
    duty_shifts,
    law_firms,
    lawyer_leaves,
    lawyers,
    notices,
    platform,
    previous_stage_lawyers,
    quality_reviews,
    subsidy_standards,
    suspects,
    termination_reports,
    work_stations,
)
from aid_center.replay import end_offsets, rebuild
from aid_center.settings import AidCenterSettings
from aid_center.use_cases.applications import open_application
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentFailed,
    DutyLawyerAssigned,
    LawyerAssigned,
    LawyerReplaced,
    QualityReviewRecorded,
    SupplementRequested,
)
from defense_schemas.events.common import Applicant, RetainedCounsel
from defense_schemas.events.procuratorate import (
    DutyLawyerRequested,
    EligibilityAssessed,
    LegalAidApplicationForwarded,
    NoticeSupplemented,
    PrivateCounselRetained,
    ReappointmentRequested,
)
from defense_schemas.vocabulary import (
    AssessmentTrigger,
    DutyLawyerPurpose,
    Ground,
    NoticeItem,
    PersonRole,
    ReappointmentReason,
)
from legal_calendar import legal_date
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from service_runtime.security.fields import FieldCipher
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)
from tests.infrastructure import differences, eventually

pytestmark = pytest.mark.integration

STAFF_TABLES = (
    law_firms,
    lawyers,
    lawyer_leaves,
    previous_stage_lawyers,
    work_stations,
    duty_shifts,
    subsidy_standards,
    termination_reports,
)
"""What staff typed, which no topic carries: restored from a backup before the replay."""

JUNIOR = {"max_concurrent_cases": 9, "criminal_practice_years": 2}
"""Too junior for a possible life sentence (LAL Art. 26): that letter finds nobody."""

PROCESS_LOCAL = {"cases": {"created_at"}, "activities": {"logged_at"}}
"""When the row was written: the rebuild's time, not the events'."""

NOT_ON_THE_EVENTS = {
    "notices": {"last_decision"},
    # What came when staff recorded the material asked for: not on ApplicationMaterialsSupplied.
    "applications": {"last_decision", "materials"},
    "assignments": {"decision"},
    "duty_requests": {"decision"},
}
"""Columns no event carries, known gaps of the rebuild (README): the engine's explanation of a
choice (who was passed over and why), and the material staff recorded as supplied."""

REBUILT = {
    "cases": (cases, cases.c.case_id),
    "suspects": (suspects, suspects.c.suspect_id),
    "notices": (notices, notices.c.notice_id),
    "applications": (applications, applications.c.application_id),
    "assignments": (assignments, assignments.c.assignment_id),
    "document_counters": (document_counters, document_counters.c.issuing_unit),
    "duty_requests": (duty_requests, duty_requests.c.request_id),
    "activities": (activities, activities.c.activity_id),
    "quality_reviews": (quality_reviews, quality_reviews.c.review_id),
}


async def tables(url: str, cipher: FieldCipher) -> dict[str, list[dict[str, Any]]]:
    """Every rebuilt table, sealed values opened, ordered by key, without the columns left out."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            found: dict[str, list[dict[str, Any]]] = {}
            for name, (table, key) in REBUILT.items():
                rows = [
                    dict(row)
                    for row in (await session.execute(sa.select(table).order_by(key))).mappings()
                ]
                found[name] = [_opened(name, row, cipher) for row in rows]
    finally:
        await engine.dispose()
    left_out = {
        name: PROCESS_LOCAL.get(name, set()) | NOT_ON_THE_EVENTS.get(name, set()) for name in found
    }
    return {
        name: [{k: v for k, v in row.items() if k not in left_out[name]} for row in rows]
        for name, rows in found.items()
    }


def _opened(table: str, row: dict[str, Any], cipher: FieldCipher) -> dict[str, Any]:
    if table == "suspects":
        row["name"] = cipher.decrypt(row["name"], field=SUSPECT_NAME, record_id=row["suspect_id"])
        row["place_of_detention_or_residence"] = cipher.decrypt(
            row["place_of_detention_or_residence"],
            field="suspect.place_of_detention_or_residence",
            record_id=row["suspect_id"],
        )
    elif table == "notices":
        row = open_notice(cipher, row)
        row["letter"] = open_letter(cipher, row["notice_id"], dict(row["letter"]))
    elif table == "applications":
        row = open_application(SimpleNamespace(cipher=cipher), row)
    return row


async def copy_staff_tables(source: str, target: str) -> None:
    """What a backup restores: the staff's tables, row for row."""
    engines = create_engine(source), create_engine(target)
    try:
        async with (
            session_factory(engines[0])() as read,
            session_factory(engines[1])() as write,
            write.begin(),
        ):
            for table in STAFF_TABLES:
                rows = [dict(row) for row in (await read.execute(sa.select(table))).mappings()]
                if rows:
                    await write.execute(sa.insert(table), rows)
    finally:
        for engine in engines:
            await engine.dispose()


async def topic_ends(settings: AidCenterSettings) -> dict[str, list[int]]:
    return await end_offsets(settings)


async def test_a_rebuilt_center_holds_what_the_original_decided_and_publishes_nothing(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "replay-original") as center:
        firm_a = await add_firm(center, "天津回放甲律师事务所")
        firm_b = await add_firm(center, "天津回放乙律师事务所")
        firm_c = await add_firm(center, "天津回放丙律师事务所")
        await add_lawyer(center, firm_a, "P001", **JUNIOR)
        await add_lawyer(center, firm_b, "P002", **JUNIOR, specialties=["juvenile"])
        duty_lawyer = await add_lawyer(center, firm_c, "P003", **JUNIOR)

        # Two co-suspects: the minor's letter complete, the adult's short of a material and
        # then supplemented.
        case_1, received_1, (adult_1, minor_1) = new_case()
        await center.publish(received_1, case_1)
        await center.publish(notice_for(minor_1, minor=True), case_1)
        incomplete = notice_for(adult_1, minor=False, materials=("户籍证明",))
        await center.publish(incomplete, case_1)
        await center.log.first(case_1, SupplementRequested)
        await center.publish(
            NoticeSupplemented(
                notice_id=incomplete.notice_id,
                suspect_id=adult_1,
                supplemented_at=datetime.now(UTC),
                supplemented_items=(NoticeItem.CASE_MATERIALS,),
                added_materials=("起诉意见书",),
                review_deadline=received_1.review_deadline,
            ),
            case_1,
        )
        await center.log.first(case_1, LawyerAssigned, suspect_id=adult_1)
        minors: LawyerAssigned = await center.log.first(case_1, LawyerAssigned, suspect_id=minor_1)

        # The minor's lawyer logs work; a reviewer judges it against the service standard.
        path = f"/assignments/{minors.assignment_id}"
        work_day = legal_date(datetime.now(UTC)).isoformat()
        for kind in ("meeting", "file_review"):
            logged = await center.client.post(
                f"{path}/activities", json={"kind": kind, "performed_on": work_day}
            )
            assert logged.status_code == 201, logged.text
        reviewed = await center.client.post(
            f"{path}/quality-reviews",
            json={
                "measures": ["file_inspection", "recipient_follow_up"],
                "rating": "needs_improvement",
                "reviewer": "质量监督员",
            },
        )
        assert reviewed.status_code == 201, reviewed.text
        await center.log.first(case_1, QualityReviewRecorded)

        # A written request for another lawyer, then counsel retained: aid ends.
        case_2, received_2, (adult_2, _) = new_case()
        await center.publish(received_2, case_2)
        await center.publish(notice_for(adult_2, minor=False), case_2)
        first: LawyerAssigned = await center.log.first(case_2, LawyerAssigned)
        request_id = uuid4()
        await center.publish(
            ReappointmentRequested(
                request_id=request_id,
                suspect_id=adult_2,
                previous_assignment_id=first.assignment_id,
                reason=ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
                requested_at=datetime.now(UTC),
                addressee_center="天津市河东区法律援助中心",
            ),
            case_2,
        )
        replaced: LawyerReplaced = await center.log.first(case_2, LawyerReplaced)
        await center.publish(
            PrivateCounselRetained(
                retention_id=uuid4(),
                suspect_id=adult_2,
                counsel=RetainedCounsel(name="孙律师", contact="13800000003"),
                retained_by=PersonRole.SUSPECT,
                retained_at=datetime.now(UTC),
                active_assignment_id=replaced.assignment_id,
            ),
            case_2,
        )
        await center.log.first(case_2, AidTerminated)

        # The firm reports a conflict through staff: another firm takes over.
        case_3, received_3, (adult_3, _) = new_case()
        await center.publish(received_3, case_3)
        await center.publish(notice_for(adult_3, minor=False), case_3)
        third: LawyerAssigned = await center.log.first(case_3, LawyerAssigned)
        response = await center.client.post(
            f"/assignments/{third.assignment_id}/conflicts",
            json={"kind": "other_conflict", "detail": "本所代理被害人"},
        )
        assert response.status_code == 201, response.text
        await center.log.first(case_3, LawyerReplaced)

        # A possible life sentence and a roster of juniors: nobody can be appointed.
        case_4, received_4, (adult_4, _) = new_case(life_or_death=True)
        await center.publish(received_4, case_4)
        await center.publish(
            EligibilityAssessed(
                suspect_id=adult_4,
                assessed_at=datetime.now(UTC),
                trigger=AssessmentTrigger.CASE_RECEIVED,
                grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
                discovered_grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
                pilot_district=True,
            ),
            case_4,
        )
        await center.publish(
            notice_for(adult_4, minor=False, grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,)),
            case_4,
        )
        await center.log.first(case_4, AssignmentFailed)

        # An application forwarded, its material asked for and supplied, then granted: the
        # grant appoints.
        case_5, received_5, (adult_5, _) = new_case()
        await center.publish(received_5, case_5)
        application = LegalAidApplicationForwarded(
            application_id=uuid4(),
            suspect_id=adult_5,
            applied_by=PersonRole.CLOSE_RELATIVE,
            applied_at=datetime.now(UTC),
            forwarded_at=datetime.now(UTC),
            addressee_center="天津市河东区法律援助中心",
            applicant=Applicant(name="王父", contact="13800000009", relationship="父亲"),
            economic_hardship_statement="家庭无固定收入",
        )
        await center.publish(application, case_5)
        path = f"/applications/{application.application_id}"

        async def forwarded() -> bool:
            return (await center.client.get(path)).status_code == 200

        await eventually(forwarded, what="the application stored")
        asked = await center.client.post(
            f"{path}/materials-request", json={"missing": ["户籍证明"]}
        )
        assert asked.status_code == 200, asked.text
        supplied = await center.client.post(f"{path}/materials", json={"materials": ["户籍证明"]})
        assert supplied.status_code == 200, supplied.text
        granted = await center.client.post(f"{path}/decision", json={"decision": "granted"})
        assert granted.status_code == 200, granted.text
        await center.log.first(case_5, LawyerAssigned, application_id=application.application_id)

        # A duty lawyer asked for and found on the day's rota.
        station = await center.client.post(
            "/work-stations",
            json={
                "name": "回放值班工作站",
                "district": "河东区",
                "host_kind": "procuratorate",
                "host_name": "天津市河东区人民检察院",
            },
        )
        assert station.status_code == 201, station.text
        today = legal_date(datetime.now(UTC))
        shifts = await center.client.post(
            f"/work-stations/{station.json()['station_id']}/shifts",
            json={
                "lawyer_id": duty_lawyer,
                "starts_on": today.isoformat(),
                "ends_on": today.isoformat(),
                "mode": "on_site",
            },
        )
        assert shifts.status_code == 201, shifts.text
        await center.publish(
            DutyLawyerRequested(
                request_id=uuid4(),
                suspect_id=adult_4,
                purpose=DutyLawyerPurpose.PLEA_WITNESS,
                requested_at=datetime.now(UTC),
                work_station="回放值班工作站",
            ),
            case_4,
        )
        await center.log.first(case_4, DutyLawyerAssigned)
        original = center.settings

    ends = await topic_ends(original)
    assert sum(ends[original.topic_aid_center]) > 0
    rebuilt: AidCenterSettings = await service_settings(
        AidCenterSettings,
        "replay-rebuilt",
        topic_procuratorate=original.topic_procuratorate,
        topic_aid_center=original.topic_aid_center,
    )
    url = str(rebuilt.database_url)
    await upgrade_to_head(_migrations(), url, field_cipher=FieldCipher.from_settings(rebuilt))
    await copy_staff_tables(str(original.database_url), url)
    report = await rebuild(rebuilt)
    assert report.applied[original.topic_aid_center] > 0

    cipher = FieldCipher.from_settings(original)
    before, after = await tables(str(original.database_url), cipher), await tables(url, cipher)
    assert after["assignments"] and after["notices"] and after["document_counters"]
    for table in before:
        assert after[table] == before[table], (table, differences(before, after, table))

    # Nothing was published: no outbox row, nothing new on either topic.
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            outbox = platform.messaging.outbox
            assert await session.scalar(sa.select(sa.func.count()).select_from(outbox)) == 0
    finally:
        await engine.dispose()
    assert await topic_ends(original) == ends

    # The rebuilt center is the live one from the end offsets on: the old letters are not
    # appointed again, a new one is, and its reply numbers on from the original's last.
    async with running_center(
        service_settings,
        "replay-live",
        database_url=rebuilt.database_url,
        consumer_group=rebuilt.consumer_group,
        topic_procuratorate=original.topic_procuratorate,
        topic_aid_center=original.topic_aid_center,
    ) as live:
        case_6, received_6, (adult_6, _) = new_case()
        await live.publish(received_6, case_6)
        await live.publish(notice_for(adult_6, minor=False), case_6)
        sixth: LawyerAssigned = await live.log.first(case_6, LawyerAssigned)
        last = max(row["document_number"]["sequence"] for row in before["assignments"])
        assert sixth.document_number is not None
        assert sixth.document_number.sequence == last + 1
        await _no_new_records(live.settings, original.topic_aid_center, ends)


def _migrations() -> Any:
    from aid_center.service import definition

    return definition().migrations_dir


async def _no_new_records(
    settings: AidCenterSettings, topic: str, ends: dict[str, list[int]]
) -> None:
    """The live center published only what its new letter caused."""
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **settings.kafka.options())
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(len(ends[topic]))]
        now = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    grown = sum(now[tp] for tp in partitions) - sum(ends[topic])
    # The acceptance and the assignment of the new letter, nothing of the old ones.
    assert grown == 2, grown
