"""Settings of the procuratorate service, read from `PROCURATORATE_*` environment variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field, PostgresDsn
from pydantic_settings import SettingsConfigDict

from procuratorate.domain.eligibility import PilotDistrict
from procuratorate.domain.policy import SelfDefensePolicy
from service_runtime.settings import ServiceSettings


class PilotDistrictSetting(BaseModel):
    """A district in the pilot scope of Measures Art. 2, from its start date."""

    district: str
    starts_on: date


TIANJIN_AID_CENTERS = {
    "和平区": "天津市和平区法律援助中心",
    "河东区": "天津市河东区法律援助中心",
    "河西区": "天津市河西区法律援助中心",
    "南开区": "天津市南开区法律援助中心",
    "河北区": "天津市河北区法律援助中心",
    "红桥区": "天津市红桥区法律援助中心",
    "东丽区": "天津市东丽区法律援助中心",
    "西青区": "天津市西青区法律援助中心",
    "津南区": "天津市津南区法律援助中心",
    "北辰区": "天津市北辰区法律援助中心",
    "武清区": "天津市武清区法律援助中心",
    "宝坻区": "天津市宝坻区法律援助中心",
    "宁河区": "天津市宁河区法律援助中心",
    "静海区": "天津市静海区法律援助中心",
    "蓟州区": "天津市蓟州区法律援助中心",
    "滨海新区": "天津市滨海新区法律援助中心",
}
"""The district legal aid centers' registered names (the default city's roster). The name is
the center's identity in every service: its staff's tokens carry it, and the notifier shows a
case to the center its letter is addressed to."""


class ProcuratorateSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROCURATORATE_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://procuratorate:procuratorate@127.0.0.1:55432/procuratorate"
    )
    http_port: int = 8101

    pilot_scope: list[PilotDistrictSetting] = Field(
        default_factory=lambda: [
            PilotDistrictSetting(district="河东区", starts_on=date(2023, 3, 1)),
            PilotDistrictSetting(district="西青区", starts_on=date(2023, 3, 1)),
        ],
        description="Districts applying Measures Art. 2, each from its start date (JSON list).",
    )
    self_defense_policy: SelfDefensePolicy = Field(
        SelfDefensePolicy.MEASURES_ART_2_ONLY,
        description="When self-defense may be permitted (Measures Art. 5); see SelfDefensePolicy.",
    )
    supplement_warning_days: int = Field(
        5,
        ge=0,
        description="Warn when a supplement leaves fewer days than this before the deadline.",
    )
    issuing_unit_abbreviations: dict[str, str] = Field(
        default_factory=lambda: {
            "天津市河东区人民检察院": "津河东检",
            "天津市西青区人民检察院": "津西青检",
        },
        description="Procuratorate name → the abbreviation that opens its document numbers; "
        "a unit not listed numbers under its full name.",
    )
    aid_centers: dict[str, str] = Field(
        default_factory=lambda: dict(TIANJIN_AID_CENTERS),
        description="District → the registered name of the legal aid center its letters are "
        "addressed to (JSON map; another city is another map). A district not listed has no "
        "addressee: its letters are refused with 409 until it is configured.",
    )
    letter_copy_number: int = Field(2, ge=1, le=9, description="第x联 of the copy sent.")
    letter_copy_label: str = Field("送法律援助中心", description="The copy's destination.")
    letter_template: Path | None = Field(
        None,
        description="A DOCX template replacing the bundled notice-of-defense letter "
        "(procuratorate/documents/templates/notice_of_defense.docx): staff restyle a copy "
        "without a release. Its tags are listed in the service's README.",
    )

    @property
    def pilot_districts(self) -> tuple[PilotDistrict, ...]:
        return tuple(PilotDistrict(p.district, p.starts_on) for p in self.pilot_scope)

    def issuing_unit(self, procuratorate_unit: str) -> str:
        return self.issuing_unit_abbreviations.get(procuratorate_unit, procuratorate_unit)

    def aid_center_for(self, district: str) -> str | None:
        """The canonical name of the district's center, never one made up from the district."""
        return self.aid_centers.get(district)
