"""The statistics kept per (unit, district, receipt month), so that `GET /statistics` reads a
row per month instead of every suspect, clock, defender and termination of the unit:

- `statistics_months`: each month's tallies (`CaseRepository.statistics_tallies` for that
  month, as JSON) and `valid_until`, the first close of one of its open clocks still ahead
  when they were counted (from then on a clock counts as overdue, so the month is counted
  again).
- `statistics_stale`: the months a write touched since. Statement triggers on the five tables
  the tallies read append a row per month a statement touched (the old and the new month
  when a case moves), in the writing transaction, whatever wrote it (the workflow, a replay,
  a bulk load); appended without a key, so concurrent writers never wait on each other. The
  read takes them (`DELETE … RETURNING`) and counts those months again.

Every month already held is stale once this runs: the first read counts them.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

MONTH = "date_trunc('month', timezone('Asia/Shanghai', c.received_at))::date"
# The tables whose rows the tallies read: how a changed row finds its case.
BY_CASE = ("suspects", "clocks", "timeline")
FUNCTIONS = {
    "statistics_stale_cases": "FROM changed c",
    "statistics_stale_by_case": "FROM (SELECT DISTINCT case_id FROM changed) t "
    "JOIN cases c ON c.case_id = t.case_id",
    "statistics_stale_by_suspect": "FROM (SELECT DISTINCT suspect_id FROM changed) t "
    "JOIN suspects s ON s.suspect_id = t.suspect_id JOIN cases c ON c.case_id = s.case_id",
}
TRIGGERS = {
    "cases": "statistics_stale_cases",
    **dict.fromkeys(BY_CASE, "statistics_stale_by_case"),
    "defenders": "statistics_stale_by_suspect",
}


def upgrade() -> None:
    op.create_table(
        "statistics_months",
        sa.Column("procuratorate_unit", sa.String(200), primary_key=True),
        sa.Column("district", sa.String(50), primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("tallies", JSONB, nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "statistics_stale",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("procuratorate_unit", sa.String(200), nullable=False),
        sa.Column("district", sa.String(50), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
    )
    op.create_index("ix_statistics_stale_unit", "statistics_stale", ["procuratorate_unit"])
    for name, source in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO statistics_stale (procuratorate_unit, district, month) "
            f"SELECT DISTINCT c.procuratorate_unit, c.district, {MONTH} {source}; "
            "RETURN NULL; END $$"
        )
    for table, function in TRIGGERS.items():
        for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER statistics_stale_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {function}()"
            )
    # A case that moves to another unit, district or month leaves its old month stale too.
    op.execute(
        "CREATE TRIGGER statistics_stale_moved AFTER UPDATE ON cases "
        "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION statistics_stale_cases()"
    )
    # A TRUNCATE (no transition table): every month kept is dropped and what is left is stale.
    op.execute(
        "CREATE FUNCTION statistics_stale_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM statistics_months; "
        "INSERT INTO statistics_stale (procuratorate_unit, district, month) "
        f"SELECT DISTINCT c.procuratorate_unit, c.district, {MONTH} FROM cases c; "
        "RETURN NULL; END $$"
    )
    for table in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER statistics_stale_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION statistics_stale_all()"
        )
    op.execute(
        "INSERT INTO statistics_stale (procuratorate_unit, district, month) "
        f"SELECT DISTINCT c.procuratorate_unit, c.district, {MONTH} FROM cases c"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER statistics_stale_moved ON cases")
    for table in TRIGGERS:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER statistics_stale_{event} ON {table}")
    for name in (*FUNCTIONS, "statistics_stale_all"):
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("statistics_stale")
    op.drop_table("statistics_months")
