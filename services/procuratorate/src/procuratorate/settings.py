"""Settings of the procuratorate service, read from `PROCURATORATE_*` environment variables."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, PostgresDsn
from pydantic_settings import SettingsConfigDict

from procuratorate.domain.eligibility import PilotDistrict
from procuratorate.domain.policy import SelfDefensePolicy
from service_runtime.settings import ServiceSettings


class PilotDistrictSetting(BaseModel):
    """A district in the pilot scope of Measures Art. 2, from its start date."""

    district: str
    starts_on: date


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
        default_factory=dict,
        description="District → the legal aid center the letters are addressed to; default "
        "`{district}法律援助中心`.",
    )
    letter_copy_number: int = Field(2, ge=1, le=9, description="第x联 of the copy sent.")
    letter_copy_label: str = Field("送法律援助中心", description="The copy's destination.")

    @property
    def pilot_districts(self) -> tuple[PilotDistrict, ...]:
        return tuple(PilotDistrict(p.district, p.starts_on) for p in self.pilot_scope)

    def issuing_unit(self, procuratorate_unit: str) -> str:
        return self.issuing_unit_abbreviations.get(procuratorate_unit, procuratorate_unit)

    def aid_center_for(self, district: str) -> str:
        return self.aid_centers.get(district, f"{district}法律援助中心")
