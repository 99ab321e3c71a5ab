"""Deliveries through the real protocols: SMTP (aiosmtpd), a signed webhook to a local HTTP
receiver, SMS through the file gateway; retries and NotificationFailed on a dead channel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas import Envelope
from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.events.common import Lawyer, Officer
from defense_schemas.vocabulary import (
    AssignmentEndReason,
    ReceiptKind,
    ReplacementReason,
    TerminationReason,
)
from notifier.service import create_app
from tests.infrastructure import operator, run_service
from tests.problems import at_fault

from .helpers import SmtpServer, TopicReader, WebhookReceiver, eventually, free_port, publish, wrap

pytestmark = pytest.mark.integration

PROSECUTOR = Officer(name="王检察官", contact="wang@hedong.jcy.example")
LAWYER = Lawyer(**{**ex.LAWYER.model_dump(), "contact": "chen@firm-a.example"})


def case_received() -> pr.CaseReceived:
    return pr.CaseReceived(
        **dict(ex.CASE),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=ex.at(2, 15),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=PROSECUTOR,
    )


async def case_known(client: Any, case_id: Any) -> None:
    """Wait until CaseReceived was applied: the two services' topics are not ordered with
    each other, and the contacts come from CaseReceived."""
    await eventually(
        lambda: client.get("/clocks", params={"case_id": str(case_id)}),
        lambda response: response.status_code == 200 and len(response.json()["items"]) > 0,
    )


def letter_sent() -> pr.DefenseNoticeSent:
    """The letter the assignment answers: its messages wait for it (the topics are not
    ordered with each other), and its case handler is the prosecutor's contact from then on."""
    return pr.DefenseNoticeSent(
        notice_id=ex.NOTICE,
        suspect_id=ex.LI,
        sent_at=ex.at(4),
        letter=ex.LETTER.model_copy(update={"case_handler": PROSECUTOR}),
        materials=("起诉意见书",),
    )


def lawyer_assigned() -> aid.LawyerAssigned:
    return aid.LawyerAssigned(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        basis="notice",
        notice_id=ex.NOTICE,
        lawyer=LAWYER,
        assigned_at=ex.at(6),
    )


async def test_each_channel_delivers_once_even_when_the_event_is_redelivered(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    sms_file = tmp_path / "sms.jsonl"
    with SmtpServer() as smtp:
        async with WebhookReceiver(secret="test-secret") as agency:
            settings = await notifier_settings(
                "deliveries",
                smtp_port=smtp.port,
                sms_file_path=sms_file,
                procuratorate_webhook_url=agency.url,
            )
            bootstrap = settings.kafka_bootstrap_servers
            case_id = uuid4()
            async with run_service(create_app(settings), settings) as svc:
                svc.client.headers.update(operator(settings))  # operators may use every route
                client = svc.client
                # Templates are edited without a release; a broken one is refused.
                edited = await client.put(
                    "/templates/LawyerAssigned/lawyer",
                    json={
                        "subject": "【指派】{{ suspect_name }}",
                        "body": "{{ recipient_name }}：请接案。",
                    },
                )
                assert edited.status_code == 200, edited.text
                assert edited.json()["version"] == 2
                bad = await client.put(
                    "/templates/LawyerAssigned/lawyer",
                    json={"subject": "x", "body": "{{ event.__class__.__mro__ }}"},
                )
                assert bad.status_code == 400
                assert at_fault(bad) == ["#/body"]
                missing = await client.put(
                    "/templates/NoSuchEvent/lawyer", json={"subject": "x", "body": "y"}
                )
                assert missing.status_code == 404
                assert (await client.get(f"/cases/{uuid4()}/deliveries")).status_code == 404

                assigned = wrap(lawyer_assigned(), case_id, "aid-center")
                await publish(
                    bootstrap,
                    settings.topic_procuratorate,
                    [
                        wrap(case_received(), case_id, "procuratorate"),
                        wrap(letter_sent(), case_id, "procuratorate"),
                    ],
                )
                await case_known(client, case_id)
                await publish(bootstrap, settings.topic_aid_center, [assigned])

                async def log() -> dict[str, Any]:
                    response = await client.get(f"/cases/{case_id}/deliveries")
                    return response.json() if response.status_code == 200 else {}

                first = await eventually(log, lambda body: body.get("delivered") == 3)
                assert {(d["recipient_role"], d["channel"]) for d in first["items"]} == {
                    ("lawyer", "email"),
                    ("prosecutor", "email"),
                    ("procuratorate", "webhook"),
                }
                assert all(d["attempts"] == 1 for d in first["items"])

                # SMTP: the lawyer's message uses the edited template.
                to_lawyer = [m for m in smtp.messages if "chen@firm-a.example" in m["To"]]
                assert len(to_lawyer) == 1
                assert to_lawyer[0]["Subject"] == "【指派】李某某"
                assert "陈律师：请接案。" in to_lawyer[0].get_content()
                to_prosecutor = [m for m in smtp.messages if "wang@hedong" in m["To"]]
                assert "陈律师" in to_prosecutor[0].get_content()
                # The agency system verified the HMAC signature.
                assert agency.rejected == 0
                assert len(agency.received) == 1
                assert agency.received[0]["about_event_type"] == "LawyerAssigned"

                # The same event again (a redelivery), then aid ends: relatives are told.
                await publish(
                    bootstrap,
                    settings.topic_aid_center,
                    [
                        assigned,
                        wrap(
                            aid.AidTerminated(
                                assignment_id=ex.ASSIGNMENT,
                                suspect_id=ex.LI,
                                reason=TerminationReason.COUNSEL_RETAINED,
                                terminated_at=ex.at(9),
                            ),
                            case_id,
                            "aid-center",
                        ),
                    ],
                )
                final = await eventually(log, lambda body: body.get("delivered") == 5)
                kinds = [(d["about_event_type"], d["recipient_role"]) for d in final["items"]]
                assert kinds.count(("LawyerAssigned", "lawyer")) == 1
                assert ("AidTerminated", "guardian") in kinds
                assert ("AidTerminated", "lawyer") in kinds
                sms = [json.loads(line) for line in sms_file.read_text().splitlines()]
                assert [s["phone"] for s in sms] == ["13900000003"]
                assert "法律援助已于2026年3月9日" in sms[0]["text"]
                assert len(to_lawyer) == 1 and len(agency.received) == 1

                async with TopicReader(
                    bootstrap, settings.topic_notifier, case_id, settings.topic_partitions
                ) as reader:
                    await eventually(
                        reader.read, lambda _: len(reader.of_type("NotificationDelivered")) == 5
                    )
                delivered = reader.of_type("NotificationDelivered")
                assert {e["payload"]["notification_id"] for e in delivered} == {
                    d["notification_id"] for d in final["items"]
                }
                assert all(e["causation_id"] == e["payload"]["about_event_id"] for e in delivered)


async def test_a_dead_channel_is_retried_with_backoff_then_reported_failed(
    notifier_settings: Callable[..., Any],
) -> None:
    settings = await notifier_settings("failing", smtp_port=free_port(), delivery_max_attempts=3)
    bootstrap = settings.kafka_bootstrap_servers
    case_id = uuid4()
    async with run_service(create_app(settings), settings) as svc:
        svc.client.headers.update(operator(settings))  # operators may use every route
        await publish(
            bootstrap,
            settings.topic_procuratorate,
            [
                wrap(case_received(), case_id, "procuratorate"),
                wrap(letter_sent(), case_id, "procuratorate"),
            ],
        )
        await case_known(svc.client, case_id)
        await publish(
            bootstrap, settings.topic_aid_center, [wrap(lawyer_assigned(), case_id, "aid-center")]
        )

        async def log() -> dict[str, Any]:
            response = await svc.client.get(f"/cases/{case_id}/deliveries")
            return response.json() if response.status_code == 200 else {}

        body = await eventually(log, lambda b: b.get("failed") == 2)
        for delivery in body["items"]:
            assert delivery["status"] == "failed"
            assert delivery["attempts"] == 3
            assert "SMTP" in delivery["last_error"]
            assert delivery["next_attempt_at"] is None
        async with TopicReader(
            bootstrap, settings.topic_notifier, case_id, settings.topic_partitions
        ) as reader:
            await eventually(reader.read, lambda _: len(reader.of_type("NotificationFailed")) == 6)
        failed = [e["payload"] for e in reader.of_type("NotificationFailed")]
        by_notification: dict[str, list[tuple[int, bool]]] = {}
        for payload in failed:
            by_notification.setdefault(payload["notification_id"], []).append(
                (payload["attempt"], payload["will_retry"])
            )
        for attempts in by_notification.values():
            assert sorted(attempts) == [(1, True), (2, True), (3, False)]
        assert reader.of_type("NotificationDelivered") == []


async def test_a_replay_of_old_events_records_their_messages_as_skipped_and_sends_none(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    """Rebuilding the projection from old events must not message everyone again: with
    ``deliver_events_since`` set, an older event's jobs are skipped; a newer one's are sent."""
    sms_file = tmp_path / "sms.jsonl"
    with SmtpServer() as smtp:
        started = datetime.now(UTC)
        settings = await notifier_settings(
            "replay", smtp_port=smtp.port, sms_file_path=sms_file, deliver_events_since=started
        )
        case_id = uuid4()
        day_before = started - timedelta(days=1)  # as recorded on the topics before the rebuild
        old = [
            Envelope.for_event(event, case_id=case_id, producer=producer, occurred_at=day_before)
            for event, producer in (
                (case_received(), "procuratorate"),
                (letter_sent(), "procuratorate"),
                (lawyer_assigned(), "aid-center"),
            )
        ]
        async with run_service(create_app(settings), settings) as svc:
            svc.client.headers.update(operator(settings))
            bootstrap = settings.kafka_bootstrap_servers
            await publish(bootstrap, settings.topic_procuratorate, old[:2])
            await case_known(svc.client, case_id)
            await publish(bootstrap, settings.topic_aid_center, old[2:])

            async def log() -> dict[str, Any]:
                response = await svc.client.get(f"/cases/{case_id}/deliveries")
                return response.json() if response.status_code == 200 else {}

            replayed = await eventually(log, lambda body: body.get("skipped", 0) >= 2)
            assert replayed["pending"] == replayed["delivered"] == 0
            assert all(d["next_attempt_at"] is None for d in replayed["items"])
            assert "deliver_events_since" in replayed["items"][0]["last_error"]

            terminated = aid.AidTerminated(
                assignment_id=ex.ASSIGNMENT,
                suspect_id=ex.LI,
                reason=TerminationReason.COUNSEL_RETAINED,
                terminated_at=ex.at(9),
            )
            await publish(
                bootstrap, settings.topic_aid_center, [wrap(terminated, case_id, "aid-center")]
            )
            # Every job of the new event settled: sent (or given up), none still pending.
            after = await eventually(
                log, lambda body: body.get("delivered", 0) >= 1 and body.get("pending") == 0
            )
            sent = [d for d in after["items"] if d["status"] == "delivered"]
            assert {d["about_event_type"] for d in sent} == {"AidTerminated"}
            # Only the new event's messages left; the lawyer learnt from the skipped one is told.
            emailed = [d for d in sent if d["channel"] == "email"]
            assert len(smtp.messages) == len(emailed) >= 1
            assert any("chen@firm-a.example" in m["To"] for m in smtp.messages)


async def test_a_shutdown_while_a_message_is_in_flight_commits_it_and_never_sends_it_again(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    """SIGTERM under load: the worker must not be cut off between the channel's acceptance and
    its commit, or the restarted notifier sends the message a second time."""
    with SmtpServer() as smtp:
        async with WebhookReceiver(secret="test-secret", hold=1.0) as agency:
            settings = await notifier_settings(
                "shutdown-mid-send",
                smtp_port=smtp.port,
                sms_file_path=tmp_path / "sms.jsonl",
                procuratorate_webhook_url=agency.url,
            )
            bootstrap = settings.kafka_bootstrap_servers
            case_id = uuid4()
            async with run_service(create_app(settings), settings) as svc:
                svc.client.headers.update(operator(settings))
                await publish(
                    bootstrap,
                    settings.topic_procuratorate,
                    [
                        wrap(case_received(), case_id, "procuratorate"),
                        wrap(letter_sent(), case_id, "procuratorate"),
                    ],
                )
                await case_known(svc.client, case_id)
                await publish(
                    bootstrap,
                    settings.topic_aid_center,
                    [wrap(lawyer_assigned(), case_id, "aid-center")],
                )
                # The agency system has the message and has not answered yet: stop now.
                await eventually(lambda: asyncio.sleep(0, len(agency.received)), bool)

            async with run_service(create_app(settings), settings) as svc:
                svc.client.headers.update(operator(settings))

                async def log() -> dict[str, Any]:
                    response = await svc.client.get(f"/cases/{case_id}/deliveries")
                    return response.json() if response.status_code == 200 else {}

                final = await eventually(log, lambda body: body.get("delivered") == 3)
            webhook = next(d for d in final["items"] if d["channel"] == "webhook")
            assert webhook["attempts"] == 1
            sent = [body["notification_id"] for body in agency.received]
            assert sent.count(webhook["notification_id"]) == 1, sent
            # Each request names its job as the idempotency key.
            assert agency.idempotency_keys == sent


async def test_the_assignment_applied_before_the_case_and_letter_still_reaches_the_prosecutor(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    """The aid center's topic first, the procuratorate's after (a backlog on one topic): the
    assignment's messages wait in the database for the letter, the prosecutor is told, and the
    late letter opens no assignment clock for a suspect who already has a lawyer."""
    with SmtpServer() as smtp:
        settings = await notifier_settings(
            "reversed", smtp_port=smtp.port, sms_file_path=tmp_path / "sms.jsonl"
        )
        bootstrap = settings.kafka_bootstrap_servers
        case_id = uuid4()
        async with run_service(create_app(settings), settings) as svc:
            svc.client.headers.update(operator(settings))
            client = svc.client
            accepted = aid.NoticeAccepted(
                notice_id=ex.NOTICE, suspect_id=ex.LI, received_at=ex.at(4), accepted_at=ex.at(4)
            )
            await publish(
                bootstrap,
                settings.topic_aid_center,
                [
                    wrap(accepted, case_id, "aid-center"),
                    wrap(lawyer_assigned(), case_id, "aid-center"),
                ],
            )

            async def log() -> dict[str, Any]:
                response = await client.get(f"/cases/{case_id}/deliveries")
                return response.json() if response.status_code == 200 else {}

            # Applied (the case exists from its first event), nobody told yet.
            held = await eventually(log, lambda body: "items" in body)
            assert held["items"] == []

            await publish(
                bootstrap,
                settings.topic_procuratorate,
                [
                    wrap(case_received(), case_id, "procuratorate"),
                    wrap(letter_sent(), case_id, "procuratorate"),
                ],
            )
            told = await eventually(log, lambda body: body.get("delivered") == 2)
            assert {(d["about_event_type"], d["recipient_role"]) for d in told["items"]} == {
                ("LawyerAssigned", "lawyer"),
                ("LawyerAssigned", "prosecutor"),
            }
            assert any("wang@hedong" in m["To"] for m in smtp.messages)

            board = (
                await client.get(
                    "/clocks", params={"case_id": str(case_id), "include_stopped": "true"}
                )
            ).json()["items"]
            assignment = [c for c in board if c["kind"] == "assignment"]
            assert len(assignment) == 1, assignment
            assert assignment[0]["open"] is False
            assert assignment[0]["outcome"] == "met"
            # Facts that arrived after the clock closed still describe it.
            assert assignment[0]["agency"] == ex.CENTER
            assert assignment[0]["district"] == ex.CASE.district


async def test_an_ended_appointment_and_a_moved_review_deadline_tell_those_concerned(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    """AssignmentEnded (an allowed refusal, Measures Art. 5 ¶1) reaches the lawyer who stops,
    the case handler, the procuratorate's system, the guardian and the suspect on bail;
    ReviewDeadlineRecounted
    reaches the lawyer defending now, who must file the written opinion before it (Art. 9)."""
    sms_file = tmp_path / "sms.jsonl"
    with SmtpServer() as smtp:
        async with WebhookReceiver(secret="test-secret") as agency:
            settings = await notifier_settings(
                "ended",
                smtp_port=smtp.port,
                sms_file_path=sms_file,
                procuratorate_webhook_url=agency.url,
            )
            bootstrap = settings.kafka_bootstrap_servers
            case_id = uuid4()
            async with run_service(create_app(settings), settings) as svc:
                svc.client.headers.update(operator(settings))
                client = svc.client
                await publish(
                    bootstrap,
                    settings.topic_procuratorate,
                    [
                        wrap(case_received(), case_id, "procuratorate"),
                        wrap(letter_sent(), case_id, "procuratorate"),
                    ],
                )
                await case_known(client, case_id)
                ended = aid.AssignmentEnded(
                    assignment_id=ex.ASSIGNMENT,
                    suspect_id=ex.LI,
                    lawyer_id=LAWYER.lawyer_id,
                    notice_id=ex.NOTICE,
                    reason=AssignmentEndReason.REFUSAL_ALLOWED,
                    ended_at=ex.at(8),
                )
                successor = Lawyer(
                    **{**LAWYER.model_dump(), "name": "周律师", "contact": "zhou@firm-b.example"}
                )
                await publish(
                    bootstrap,
                    settings.topic_aid_center,
                    [
                        wrap(lawyer_assigned(), case_id, "aid-center"),
                        wrap(ended, case_id, "aid-center"),
                        wrap(
                            aid.LawyerReplaced(
                                suspect_id=ex.LI,
                                previous_assignment_id=ex.ASSIGNMENT,
                                assignment_id=ex.ASSIGNMENT_2,
                                lawyer=successor,
                                reason=ReplacementReason.REFUSAL_REAPPOINTMENT,
                                replaced_at=ex.at(10),
                            ),
                            case_id,
                            "aid-center",
                        ),
                    ],
                )

                async def log() -> dict[str, Any]:
                    response = await client.get(f"/cases/{case_id}/deliveries")
                    return response.json() if response.status_code == 200 else {}

                # 3 for the assignment, 5 for its end, 3 for the replacement.
                await eventually(log, lambda body: body.get("delivered") == 11)
                recount = pr.ReviewDeadlineRecounted(
                    counted_from=date(2026, 3, 2),
                    review_deadline=date(2026, 4, 3),
                    previous_review_deadline=date(2026, 4, 2),
                    review_deadline_provisional=False,
                    recounted_at=ex.at(11),
                )
                await publish(
                    bootstrap,
                    settings.topic_procuratorate,
                    [wrap(recount, case_id, "procuratorate")],
                )
                final = await eventually(log, lambda body: body.get("delivered") == 12)
                told = {
                    (d["about_event_type"], d["recipient_role"], d["channel"])
                    for d in final["items"]
                    if d["about_event_type"] in ("AssignmentEnded", "ReviewDeadlineRecounted")
                }
                assert told == {
                    ("AssignmentEnded", "suspect", "sms"),  # on bail, at his own phone
                    ("AssignmentEnded", "lawyer", "email"),
                    ("AssignmentEnded", "prosecutor", "email"),
                    ("AssignmentEnded", "procuratorate", "webhook"),
                    ("AssignmentEnded", "guardian", "sms"),
                    ("ReviewDeadlineRecounted", "lawyer", "email"),
                }

                def mail(to: str, about: str) -> str:
                    [message] = [
                        m for m in smtp.messages if to in m["To"] and about in str(m["Subject"])
                    ]
                    return str(message.get_content())

                stop = mail("chen@firm-a.example", "指派结束")
                assert "理由正当，已予准许" in stop and "请停止以辩护人身份履职" in stop
                handler = mail("wang@hedong", "不再辩护")
                assert "书面通知法律援助机构另行指派律师" in handler
                assert "2026年3月8日" in handler
                moved = mail("zhou@firm-b.example", "期限变更")
                assert "2026年4月2日变更为2026年4月3日" in moved and "李某某" in moved
                # The lawyer who stopped hears nothing more of the case.
                assert not any(
                    "chen@firm-a.example" in m["To"] and "期限" in str(m["Subject"])
                    for m in smtp.messages
                )
                sms = {
                    s["phone"]: s["text"]
                    for s in map(json.loads, sms_file.read_text().splitlines())
                }
                assert "不再为其辩护" in sms["13900000003"]  # the guardian
                assert "您应当另行委托辩护人" in sms["13900000002"]  # the suspect
                hooks = [body["about_event_type"] for body in agency.received]
                assert hooks.count("AssignmentEnded") == 1 and agency.rejected == 0


async def test_due_jobs_are_claimed_sent_and_committed_together_whatever_each_outcome(
    notifier_settings: Callable[..., Any],
) -> None:
    """One transaction claims the due jobs, sends them at once and records every outcome with
    its event: the webhook's delivery and the dead mail server's failures commit together, and
    each failure is retried on its own."""
    import sqlalchemy as sa

    from defense_messaging.outbox import opened_row
    from notifier.db.tables import platform
    from notifier.workers.delivery import channels_from, deliver_due

    async with WebhookReceiver(secret="test-secret") as agency:
        settings = await notifier_settings(
            "claimed-together",
            smtp_port=free_port(),
            procuratorate_webhook_url=agency.url,
            delivery_poll_interval_seconds=3600,  # the test is the worker
            delivery_backoff_base_seconds=600,
            delivery_backoff_max_seconds=3600,
        )
        bootstrap = settings.kafka_bootstrap_servers
        case_id = uuid4()
        async with run_service(create_app(settings), settings) as svc:
            svc.client.headers.update(operator(settings))
            await publish(
                bootstrap,
                settings.topic_procuratorate,
                [
                    wrap(case_received(), case_id, "procuratorate"),
                    wrap(letter_sent(), case_id, "procuratorate"),
                ],
            )
            await case_known(svc.client, case_id)
            await publish(
                bootstrap,
                settings.topic_aid_center,
                [wrap(lawyer_assigned(), case_id, "aid-center")],
            )

            async def log() -> dict[str, Any]:
                response = await svc.client.get(f"/cases/{case_id}/deliveries")
                return response.json() if response.status_code == 200 else {}

            await eventually(log, lambda body: body.get("pending") == 3)
            runtime = svc.runtime
            handled = await deliver_due(runtime, channels_from(settings), settings, limit=10)
            assert handled == 3
            body = await log()
            assert (body["delivered"], body["pending"]) == (1, 2)
            for job in body["items"]:
                assert job["attempts"] == 1
                if job["channel"] == "webhook":
                    assert job["status"] == "delivered"
                else:
                    assert "SMTP" in job["last_error"] and job["next_attempt_at"] is not None
            assert [b["notification_id"] for b in agency.received] == [
                j["notification_id"] for j in body["items"] if j["channel"] == "webhook"
            ]
            outbox = platform.messaging.outbox
            async with runtime.sessions() as session:
                queued = [
                    json.loads(opened_row(session, row)[0])["event_type"]
                    for row in await session.execute(
                        sa.select(outbox.c.id, outbox.c.value, outbox.c.headers).where(
                            outbox.c.key == str(case_id).encode()
                        )
                    )
                ]
            assert sorted(t for t in queued if t.startswith("Notification")) == [
                "NotificationDelivered",
                "NotificationFailed",
                "NotificationFailed",
            ]
            # Nothing else is due: the failures wait for their backoff.
            assert await deliver_due(runtime, channels_from(settings), settings, limit=10) == 0
