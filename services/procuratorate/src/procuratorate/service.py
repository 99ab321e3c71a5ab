"""Wiring of the procuratorate service: the one place its parts are put together."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from procuratorate.api import cases, defense, defense_work, ledger, proceedings
from procuratorate.api.descriptions import DESCRIPTIONS
from procuratorate.api.operation_ids import OPERATION_IDS
from procuratorate.db.tables import metadata, platform
from procuratorate.errors import install_domain_errors
from procuratorate.handlers import event_handlers
from procuratorate.settings import ProcuratorateSettings
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.calendar import recount_provisional_clocks, recount_review_deadlines
from service_runtime.app import Runtime, ServiceDefinition, build_app
from service_runtime.calendar_events import CalendarRole
from service_runtime.settings import ServiceSettings

# What the case routes expose or change of the suspects' personal data (for the audit log).
_SUSPECT = (
    "name",
    "id_number",
    "contacts",
    "place_of_detention_or_residence",
    "guardian",
    "close_relatives",
)
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "/cases": _SUSPECT,
    "/cases/{case_id}": _SUSPECT,
    "/cases/{case_id}/timeline": _SUSPECT,
    "/cases/{case_id}/suspects/{suspect_id}": _SUSPECT,
    "/cases/{case_id}/notices/{notice_id}": ("name", "place_of_detention_or_residence"),
    "/cases/{case_id}/notices/{notice_id}/letter.docx": ("name", "place_of_detention_or_residence"),
    "/cases/{case_id}/notices/{notice_id}/letter.pdf": ("name", "place_of_detention_or_residence"),
    "/ledger": ("name",),
    "/ledger.xlsx": ("name",),
    "/ledger/report.xlsx": ("name",),
}


def settings_from_env() -> ProcuratorateSettings:
    return ProcuratorateSettings()


async def recount_provisional(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await recount_provisional_clocks(uow)
        await recount_review_deadlines(uow)


def definition() -> ServiceDefinition:
    def consumed(settings: ServiceSettings) -> list[str]:
        return [settings.topic_intake, settings.topic_aid_center]

    return ServiceDefinition(
        name="procuratorate",
        title="procuratorate",
        description=(
            "人民检察院 — case, eligibility, rights notification, notice of defense, refusals, "
            "file review, procedural decisions, plea records"
        ),
        migrations_dir=Path(__file__).parent / "migrations",
        metadata=metadata,
        tables=platform,
        own_topic=lambda settings: settings.topic_procuratorate,
        consumed_topics=consumed,
        handlers=event_handlers,
        unit_of_work=ProcuratorateUnitOfWork,
        routers=[
            cases.router,
            cases.reads,
            defense.router,
            defense_work.router,
            proceedings.router,
            ledger.router,
        ],
        operation_ids=OPERATION_IDS,
        operation_descriptions=DESCRIPTIONS,
        audited=True,
        personal_fields=PERSONAL_FIELDS,
        install_domain_errors=install_domain_errors,
        on_calendar_changed=recount_provisional,
        calendar=CalendarRole.OWNER,
    )


def create_app(settings: ProcuratorateSettings | None = None) -> FastAPI:
    return build_app(definition(), settings or settings_from_env())
