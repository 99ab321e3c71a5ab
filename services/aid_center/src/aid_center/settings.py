"""Settings of the aid_center service, read from `AID_CENTER_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PostgresDsn
from pydantic_settings import SettingsConfigDict

from service_runtime.settings import ServiceSettings


class AidCenterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AID_CENTER_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://aid_center:aid_center@127.0.0.1:55432/aid_center"
    )
    http_port: int = 8102

    required_materials: list[str] = Field(
        default_factory=lambda: ["起诉意见书"],
        description="Materials a notice must come with (通知辩护材料, Measures Art. 3); a notice "
        "without one of them gets a SupplementRequested naming it. JSON list in the env var.",
    )
    meeting_flag_days: int = Field(
        5,
        ge=1,
        description="Flag an assignment whose lawyer has not met the suspect this many days "
        "after the assignment (Measures Art. 7: 及时会见).",
    )
    issuing_unit_abbreviations: dict[str, str] = Field(
        default_factory=lambda: {
            "天津市河东区法律援助中心": "津河东援函",
            "天津市西青区法律援助中心": "津西青援函",
        },
        description="Center name → the abbreviation that opens its document numbers (the "
        "reply 函告 of Measures Art. 4, e.g. 津河东援函〔2026〕3号); a center not listed numbers "
        "under its full name. JSON map in the env var.",
    )
    reply_template: Path | None = Field(
        None,
        description="A DOCX template replacing the bundled reply to the procuratorate "
        "(aid_center/documents/templates/assignment_reply.docx): staff restyle a copy without "
        "a release. Its tags are listed in the service's README.",
    )
    application_materials_days: int = Field(
        7,
        ge=1,
        le=60,
        description="Days the applicant is given to supply the missing material the center "
        "asks for (LAL Art. 43 sets no period: the center's own rule, stated in each request, "
        "which staff may set otherwise). Not supplied by then, the application is deemed "
        "withdrawn.",
    )
    withdrawal_check_interval_seconds: float = Field(
        300,
        gt=0,
        description="How often the center checks for applications whose day to supply the "
        "material asked for has passed, and records them deemed withdrawn (LAL Art. 43). "
        "The day is a legal date, so minutes of delay change nothing the applicant can see.",
    )
    subsidy_payment_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days from a subsidy's approval to the last day to pay it. The notice asks "
        "for prompt payment (及时足额, §四) without a number of days; 30 is the project's default "
        "until the local finance rule is configured here.",
    )
    subsidy_city: str = Field(
        "天津市",
        description="The city whose subsidy standards apply where a district has none of its own.",
    )
    justice_bureaus: dict[str, str] = Field(
        default_factory=lambda: {
            "天津市河东区法律援助中心": "天津市河东区司法局",
            "天津市西青区法律援助中心": "天津市西青区司法局",
        },
        description="Center name → the justice bureau that set it up, to which an applicant "
        "may object to a refusal (LAL Art. 49). JSON map in the env var.",
    )
    recent_assignment_window_days: int = Field(
        90,
        ge=1,
        description="The window of 'recent assignments', the fair-spread tie-break after the "
        "caseload ratio.",
    )
    replay_until: dict[str, list[int]] | None = Field(
        None,
        description="A rebuild's end offsets (topic → end offset of each partition, JSON) of "
        "the procuratorate's topic and the center's own: `python -m aid_center.replay` applies "
        "the records before them, deciding and publishing nothing (aid_center.replay); "
        "without it the rebuild takes the ends when it starts "
        "(`python -m aid_center.replay ends` prints them).",
    )
