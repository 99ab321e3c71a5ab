"""Case data for the procuratorate's tests."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any


def suspect(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "suspect_id": str(uuid.uuid4()),
        "name": "张三",
        "birth_date": "1990-05-01",
        "gender": "male",
        "limited_capacity": False,
        "custody_status": "detained",
        "place_of_detention_or_residence": "天津市河东区看守所",
        "contacts": ["022-12345678"],
        "charges": ["盗窃罪"],
        "likely_sentence": "one_year_or_less",
        "pleads_guilty": True,
    }
    data.update(overrides)
    return data


def case(*people: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": "天津市河东区人民检察院",
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": list(people) or [suspect()],
        "major_and_complex": False,
        "social_impact": False,
        "received_at": "2026-03-02T09:00:00+08:00",
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }
    data.update(overrides)
    return data


RECEIVED_ON = date(2026, 3, 2)
