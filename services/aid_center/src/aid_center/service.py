"""Wiring of the aid_center service: the one place its parts are put together."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from aid_center.api import (
    applications,
    assignments,
    duty_requests,
    firms,
    lawyers,
    notices,
    replies,
    subsidies,
    termination_reports,
    terminations,
    work_stations,
)
from aid_center.api.descriptions import DESCRIPTIONS
from aid_center.api.operation_ids import OPERATION_IDS
from aid_center.calendar_recount import recount_provisional_periods
from aid_center.db.tables import metadata, platform
from aid_center.errors import install_domain_errors
from aid_center.handlers import event_handlers
from aid_center.metrics import declare as declare_metrics
from aid_center.settings import AidCenterSettings
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.withdrawals import run_withdrawal_check
from service_runtime.app import Runtime, ServiceDefinition, build_app
from service_runtime.calendar_events import CalendarRole
from service_runtime.settings import ServiceSettings

# What routes expose of suspects' and lawyers' personal data (for the audit log).
_NOTICE = ("suspect_name", "place_of_detention_or_residence", "letter")
_APPLICATION = (
    "applied_by",
    "applicant_name",
    "applicant_contact",
    "applicant_relationship",
    "hardship_statement",
)
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "/notices": _NOTICE,
    "/notices/{notice_id}": _NOTICE,
    "/applications": _APPLICATION,
    "/applications/{application_id}": _APPLICATION,
    "/applications/{application_id}/materials-request": _APPLICATION,
    "/applications/{application_id}/materials": _APPLICATION,
    "/applications/{application_id}/decision": _APPLICATION,
    "/lawyers": ("contact",),
    "/lawyers/{lawyer_id}": ("contact",),
    "/firms": ("contact",),
    "/firms/{firm_id}": ("contact",),
    "/assignments/{assignment_id}/termination-reports": ("statement",),
    "/termination-reports": ("statement",),
    "/termination-reports/{report_id}/decision": ("statement",),
    "/assignments/{assignment_id}/reply.docx": ("suspect_name", "lawyer_contact"),
    "/assignments/{assignment_id}/reply.pdf": ("suspect_name", "lawyer_contact"),
}


def settings_from_env() -> AidCenterSettings:
    return AidCenterSettings()


async def recount_provisional(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await recount_provisional_periods(uow)


def background(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    """The check for applications deemed withdrawn (LAL Art. 43)."""
    return [run_withdrawal_check(runtime)]


def definition() -> ServiceDefinition:
    def consumed(settings: ServiceSettings) -> list[str]:
        return [settings.topic_procuratorate]

    return ServiceDefinition(
        name="aid-center",
        title="aid_center",
        description=(
            "法律援助中心 — notice acceptance, roster, assignment, conflicts, termination, quality"
        ),
        migrations_dir=Path(__file__).parent / "migrations",
        metadata=metadata,
        tables=platform,
        own_topic=lambda settings: settings.topic_aid_center,
        consumed_topics=consumed,
        handlers=event_handlers,
        unit_of_work=AidCenterUnitOfWork,
        routers=[
            firms.router,
            lawyers.router,
            notices.router,
            applications.router,
            assignments.router,
            replies.router,
            terminations.router,
            termination_reports.report_router,
            termination_reports.reports_router,
            subsidies.standards_router,
            subsidies.claims_router,
            subsidies.finance_router,
            work_stations.router,
            duty_requests.router,
        ],
        operation_ids=OPERATION_IDS,
        operation_descriptions=DESCRIPTIONS,
        audited=True,
        personal_fields=PERSONAL_FIELDS,
        install_domain_errors=install_domain_errors,
        on_calendar_changed=recount_provisional,
        declare_metrics=declare_metrics,
        calendar=CalendarRole.FOLLOWER,
        background=background,
    )


def create_app(settings: AidCenterSettings | None = None) -> FastAPI:
    return build_app(definition(), settings or settings_from_env())
