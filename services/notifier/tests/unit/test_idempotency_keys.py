"""Every channel hands the job's id on as an idempotency key; the file gateway honours it."""

from __future__ import annotations

import json
from pathlib import Path

from notifier.channels import OutgoingMessage
from notifier.channels.email import message_id
from notifier.channels.sms import FileSmsGateway, SmsChannel


def _message(key: str) -> OutgoingMessage:
    return OutgoingMessage(
        address="13900000003",
        recipient_name="李某",
        subject="",
        body="法律援助已指派",
        metadata={"notification_id": key},
        idempotency_key=key,
    )


async def test_the_file_gateway_writes_a_reference_once_across_replicas(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    first, second = SmsChannel(FileSmsGateway(path)), SmsChannel(FileSmsGateway(path))
    await first.send(_message("job-1"))
    await second.send(_message("job-1"))  # another replica re-sends after a crash
    await first.send(_message("job-1"))
    await second.send(_message("job-2"))
    await first.send(_message("job-2"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["reference"] for line in lines] == ["job-1", "job-2"]


async def test_the_file_gateway_reads_past_a_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    path.write_text('{"phone": "1", "text": "x", "reference": "job-0"}\n{"phone": "1", "te')
    gateway = FileSmsGateway(path)
    await gateway.send_sms("13900000003", "text", "job-0")
    await gateway.send_sms("13900000003", "text", "job-1")
    assert path.read_text().count('"reference": "job-1"') == 1
    assert path.read_text().count('"reference": "job-0"') == 1


def test_an_email_message_id_is_the_same_for_every_attempt_of_a_job() -> None:
    sender = "通知服务 <notifier@defense-coverage.local>"
    assert message_id("job-1", sender) == "<job-1@defense-coverage.local>"
    assert message_id("job-1", sender) == message_id("job-1", sender)
    assert message_id("job-1", sender) != message_id("job-2", sender)
