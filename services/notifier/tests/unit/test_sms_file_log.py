"""The file SMS gateway (the stand-in provider) logs a message's reference, never the number
or the text: both are personal data, and logs travel further than the database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from notifier.channels.sms import FileSmsGateway


async def test_the_log_names_the_reference_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = FileSmsGateway(tmp_path / "sms.jsonl")
    with caplog.at_level(logging.DEBUG):
        await gateway.send_sms("13800000000", "王小明的指派律师：赵律师 13900000001", "ref-1")
        await gateway.send_sms("13800000000", "王小明的指派律师：赵律师 13900000001", "ref-1")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "ref-1" in logged
    for secret in ("13800000000", "王小明", "13900000001"):
        assert secret not in logged
    assert "13800000000" in (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
