"""Every value an event contract allows fits the column that stores it.

A bounded column (``varchar(n)``) narrower than its contract's longest enum value or
``max_length`` makes legitimate events fail at the database and be dead-lettered. Each bounded
column of every service's tables is declared here with where its values come from; a new
bounded column that is not declared fails the test, so it cannot be added unchecked."""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa
from annotated_types import MaxLen

from aid_center.db import tables as aid_center_tables
from defense_schemas import fields, vocabulary
from notifier.db import tables as notifier_tables
from procuratorate.db import tables as procuratorate_tables


def _metadata(module: Any) -> sa.MetaData:
    (metadata,) = {v for v in vars(module).values() if isinstance(v, sa.MetaData)}
    return metadata


SERVICES = {
    "procuratorate": _metadata(procuratorate_tables),
    "aid_center": _metadata(aid_center_tables),
    "notifier": _metadata(notifier_tables),
}

# A source is an enum of the contract, an annotated contract string type, a set of literal
# values the service writes itself, or an int (a fixed-width value such as a hex digest).
Source = type[Enum] | Any | frozenset[str] | int

V = vocabulary
CLOCK_SUBJECTS = frozenset({"decision", "extension", "dismissal"})
DECLARED: dict[tuple[str, str, str], tuple[Source, ...]] = {
    ("*", "audit_log", "hash"): (64,),
    ("*", "audit_log", "prev_hash"): (64,),
    ("procuratorate", "cases", "transfer_number"): (fields.Reference,),
    ("procuratorate", "cases", "transferring_agency"): (fields.OrgName,),
    ("procuratorate", "cases", "transferring_agency_kind"): (V.TransferringAgencyKind,),
    ("procuratorate", "cases", "procuratorate_unit"): (fields.OrgName,),
    ("procuratorate", "cases", "district"): (fields.District,),
    ("procuratorate", "cases", "receipt_kind"): (V.ReceiptKind,),
    ("procuratorate", "cases", "review_status"): (frozenset({"under_review"}),),
    ("procuratorate", "cases", "prosecutor_name"): (fields.PersonName,),
    ("procuratorate", "cases", "prosecutor_contact"): (fields.ContactInfo,),
    # The statistics' months are keyed by the case's unit and district (copied from cases).
    ("procuratorate", "statistics_months", "procuratorate_unit"): (fields.OrgName,),
    ("procuratorate", "statistics_months", "district"): (fields.District,),
    ("procuratorate", "statistics_stale", "procuratorate_unit"): (fields.OrgName,),
    ("procuratorate", "statistics_stale", "district"): (fields.District,),
    ("procuratorate", "case_transfers", "procuratorate_unit"): (fields.OrgName,),
    ("procuratorate", "case_transfers", "transferring_agency"): (fields.OrgName,),
    ("procuratorate", "case_transfers", "transfer_number"): (fields.Reference,),
    ("procuratorate", "case_transfers", "receipt_kind"): (V.ReceiptKind,),
    ("procuratorate", "suspects", "defense_status"): (V.DefenseStatus,),
    ("procuratorate", "suspects", "decision"): (V.DefenseChoice,),
    ("procuratorate", "ground_discoveries", "ground"): (V.Ground,),
    ("procuratorate", "clocks", "kind"): (V.ClockKind,),
    ("procuratorate", "clocks", "subject"): (V.Ground, CLOCK_SUBJECTS, 36),  # 36: a UUID
    ("procuratorate", "clocks", "outcome"): (V.ClockOutcome,),
    ("procuratorate", "notice_counters", "issuing_unit"): (fields.OrgName,),
    ("procuratorate", "notices", "issuing_unit"): (fields.OrgName,),
    ("procuratorate", "notices", "document_number"): (fields.Reference,),
    ("procuratorate", "defenders", "reply_number"): (fields.Reference,),
    ("procuratorate", "notices", "status"): (
        frozenset({"sent", "accepted", "lawyer_assigned", "assignment_failed"}),
        frozenset({"supplement_requested", "supplemented"}),
    ),
    # LawyerAssigned's basis `application` is stored as `appointed_on_application`.
    ("procuratorate", "defenders", "kind"): (V.DefenseStatus,),
    ("procuratorate", "defenders", "name"): (fields.PersonName,),
    ("procuratorate", "defenders", "firm"): (fields.OrgName,),
    ("procuratorate", "defenders", "contact"): (fields.ContactInfo,),
    ("procuratorate", "defenders", "retained_by"): (V.PersonRole, frozenset({"transfer"})),
    ("procuratorate", "defenders", "end_reason"): (
        V.ReplacementReason,
        V.TerminationReason,
        frozenset({"dismissed"}),
    ),
    ("procuratorate", "file_reviews", "defender_name"): (fields.PersonName,),
    ("procuratorate", "file_reviews", "location"): (fields.Place,),
    ("procuratorate", "procedural_decisions", "kind"): (V.ProceduralDecisionKind,),
    ("procuratorate", "procedural_decisions", "document_number"): (fields.Reference,),
    ("procuratorate", "timeline", "event_type"): (fields.EventTypeName,),
    ("procuratorate", "timeline", "producer"): (fields.ShortText,),
    ("procuratorate", "written_opinions", "defender_name"): (fields.PersonName,),
}


def _longest(source: Source) -> int:
    if isinstance(source, int):
        return source
    if isinstance(source, frozenset):
        return max(len(value) for value in source)
    if isinstance(source, type) and issubclass(source, Enum):
        return max(len(str(member.value)) for member in source)
    for constraint in typing.get_args(source)[1:]:
        max_length = getattr(constraint, "max_length", None)
        if isinstance(constraint, MaxLen):
            max_length = constraint.max_length
        if max_length is not None:
            return int(max_length)
    raise AssertionError(f"{source!r} has no maximum length")


def _bounded_columns() -> list[tuple[str, str, str, int]]:
    found = []
    for service, metadata in SERVICES.items():
        for table in metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, sa.String) and column.type.length is not None:
                    found.append((service, table.name, column.name, column.type.length))
    return found


@pytest.mark.parametrize(
    ("service", "table", "column", "width"), _bounded_columns(), ids=lambda v: str(v)
)
def test_every_contract_value_fits_its_column(
    service: str, table: str, column: str, width: int
) -> None:
    sources = DECLARED.get((service, table, column)) or DECLARED.get(("*", table, column))
    assert sources is not None, (
        f"{service}.{table}.{column} is varchar({width}): declare where its values come from"
    )
    longest = max(_longest(source) for source in sources)
    assert longest <= width, (
        f"{service}.{table}.{column} is varchar({width}) but its contract allows {longest} chars"
    )


def test_the_declarations_name_real_columns() -> None:
    real = {(s, t, c) for s, t, c, _ in _bounded_columns()}
    stale = [key for key in DECLARED if key[0] != "*" and key not in real]
    assert not stale, f"declared but not a bounded column: {stale}"
