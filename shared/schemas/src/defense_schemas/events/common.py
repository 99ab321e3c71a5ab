"""Parts several events share: people, lawyers, document numbers, the case as transferred."""

from __future__ import annotations

from datetime import date
from typing import Self
from uuid import UUID

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from defense_schemas.base import ContractModel
from defense_schemas.fields import (
    Charge,
    ContactInfo,
    Day,
    District,
    IdentityNumber,
    Instant,
    OrgName,
    PersonName,
    Place,
    Reference,
    ShortText,
    Unique,
)
from defense_schemas.vocabulary import (
    CustodyStatus,
    Disability,
    Gender,
    SentenceBand,
    TransferringAgencyKind,
)


class DocumentNumber(ContractModel):
    """An official document number (文号) such as `津河东检〔2026〕12号`: unique and sequential per
    issuing unit per year."""

    issuing_unit: ShortText = Field(
        description="The issuing unit's abbreviation that opens the number, e.g. 津河东检."
    )
    year: int = Field(ge=2000, le=2100, description="The year in the 〔〕 brackets.")
    sequence: int = Field(ge=1, le=999_999, description="The sequence number within the year.")
    text: Reference = Field(
        description="The number as printed: `{issuing_unit}〔{year}〕{sequence}号`."
    )

    @classmethod
    def of(cls, issuing_unit: str, year: int, sequence: int) -> DocumentNumber:
        """Build a number and its printed text from its parts."""
        return cls(
            issuing_unit=issuing_unit,
            year=year,
            sequence=sequence,
            text=cls.render(issuing_unit, year, sequence),
        )

    @staticmethod
    def render(issuing_unit: str, year: int, sequence: int) -> str:
        """The printed form, e.g. `津河东检〔2026〕12号`."""
        return f"{issuing_unit}〔{year}〕{sequence}号"

    @model_validator(mode="after")
    def _text_matches_parts(self) -> Self:
        expected = self.render(self.issuing_unit, self.year, self.sequence)
        if self.text != expected:
            raise ValueError(f"text {self.text!r} does not match its parts ({expected!r})")
        return self


class Officer(ContractModel):
    """An official handling the case: a prosecutor or case handler (检察人员/案件承办人), or the
    transferring agency's officer."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "王检察官", "contact": "022-24000000"}]}
    )

    name: PersonName = Field(description="The official's name.")
    contact: ContactInfo = Field(description="The official's phone number or e-mail.")


class Guardian(ContractModel):
    """A minor suspect's legal guardian (法定代理人/监护人)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "李某", "relationship": "父亲", "contact": "13900000003"}]
        }
    )

    name: PersonName = Field(description="The guardian's name.")
    relationship: ShortText | None = Field(
        default=None, description="The guardian's relationship to the suspect, e.g. 父亲."
    )
    contact: ContactInfo = Field(description="The guardian's phone number or address.")


class Applicant(ContractModel):
    """Whoever applied for legal aid (申请人): the suspect, a close relative or a guardian."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "张父", "contact": "13800000003", "relationship": "父亲"}]
        }
    )

    name: PersonName = Field(description="The applicant's name.")
    contact: ContactInfo | None = Field(
        default=None, description="The applicant's phone number, e-mail or postal address."
    )
    relationship: ShortText | None = Field(
        default=None,
        description="The applicant's relationship to the suspect as the application form states "
        "it (e.g. 父亲), or 本人 when the suspect applies. Absent (null) in messages written "
        "before it existed: a reader then goes by `applied_by` (`suspect` is 本人; otherwise "
        "the relationship is not known).",
    )


class CloseRelative(ContractModel):
    """A close relative (近亲属) to be informed of the right to counsel (Measures Art. 3)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "张某", "relationship": "母亲", "contact": "13900000004"}]
        }
    )

    name: PersonName = Field(description="The relative's name.")
    relationship: ShortText = Field(description="The relationship to the suspect, e.g. 配偶.")
    contact: ContactInfo | None = Field(
        default=None, description="The relative's phone number or address, when known."
    )


class RetainedCounsel(ContractModel):
    """A defender the suspect (or a relative or guardian) retained (委托辩护人)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "赵律师",
                    "law_firm": "天津某某律师事务所",
                    "contact": "13800000011",
                    "license_number": "11201201010123456",
                }
            ]
        }
    )

    name: PersonName = Field(description="The defender's name.")
    law_firm: OrgName | None = Field(
        default=None, description="The defender's law firm; none for a non-lawyer defender."
    )
    contact: ContactInfo = Field(description="The defender's phone number or e-mail.")
    license_number: Reference | None = Field(
        default=None, description="The lawyer's practising certificate number (执业证号)."
    )


class Lawyer(ContractModel):
    """A lawyer on the legal aid center's roster: the letter to the procuratorate gives name,
    firm and contact (Measures Art. 4)."""

    lawyer_id: UUID = Field(description="The lawyer's id in the center's roster.")
    name: PersonName = Field(description="The lawyer's name.")
    firm_id: UUID = Field(description="The lawyer's law firm's id in the center's roster.")
    firm_name: OrgName = Field(description="The lawyer's law firm (所属单位).")
    contact: ContactInfo = Field(description="The lawyer's phone number or e-mail.")


class RecipientWishes(ContractModel):
    """What the suspect (or guardian) asked for in the appointed lawyer (受援人意愿, Measures
    Art. 12): the legal aid center honours it when it can and records why when it cannot."""

    lawyer_name: PersonName | None = Field(
        default=None, description="A lawyer the suspect asked for by name."
    )
    lawyer_license_number: Reference | None = Field(
        default=None, description="That lawyer's practising certificate number (执业证号)."
    )
    lawyer_gender: Gender | None = Field(
        default=None, description="The gender the suspect asked the lawyer to be."
    )
    language: ShortText | None = Field(
        default=None, description="A language or dialect the lawyer should speak, e.g. 维吾尔语."
    )


class DefenderRef(ContractModel):
    """The suspect's defense lawyer acting in a step: appointed (an assignment) or retained (a
    retention). Exactly one of the two ids is given."""

    name: PersonName = Field(description="The defense lawyer's name.")
    assignment_id: UUID | None = Field(
        default=None, description="The legal-aid assignment, for an appointed lawyer."
    )
    retention_id: UUID | None = Field(
        default=None, description="The retention, for retained counsel."
    )

    @model_validator(mode="after")
    def _exactly_one_id(self) -> Self:
        if (self.assignment_id is None) == (self.retention_id is None):
            raise ValueError("give exactly one of assignment_id and retention_id")
        return self


class SuspectParticulars(ContractModel):
    """A natural-person suspect (犯罪嫌疑人) as the case names them: everything eligibility,
    the letters and the notifications need."""

    suspect_id: UUID = Field(
        description="The suspect's id, minted by the transferring agency's system and kept for "
        "the whole case, re-transfers included."
    )
    name: PersonName = Field(description="The suspect's name.")
    id_number: IdentityNumber | None = Field(
        default=None, description="Resident ID or passport number, when known."
    )
    birth_date: Day = Field(description="Date of birth; decides minority (LAL Art. 25(1)(1)).")
    offence_date: Day | None = Field(
        default=None,
        description="When the suspect committed the offence, where the transfer states it. "
        "Minority (LAL Art. 25(1)(1); CPL Art. 277 ff., juvenile cases) is judged by age at the "
        "offence; absent, by age on the case's receipt.",
    )
    gender: Gender = Field(description="The suspect's gender.")
    disabilities: Unique[Disability] = Field(
        default=(), description="Visual, hearing or speech disabilities (LAL Art. 25(1)(2))."
    )
    limited_capacity: bool = Field(
        description="An adult who cannot fully recognise or control their own conduct "
        "(LAL Art. 25(1)(3))."
    )
    custody_status: CustodyStatus = Field(description="The compulsory measure in force.")
    place_of_detention_or_residence: Place = Field(
        description="The detention center (羁押场所) or the residence (住所)."
    )
    contacts: tuple[ContactInfo, ...] = Field(
        default=(), description="Ways to reach the suspect (犯罪嫌疑人联系方式)."
    )
    guardian: Guardian | None = Field(
        default=None, description="For a minor, the legal guardian and contact."
    )
    close_relatives: tuple[CloseRelative, ...] = Field(
        default=(), description="Close relatives to inform of the right to counsel."
    )
    charges: tuple[Charge, ...] = Field(
        min_length=1, description="The crimes this suspect is suspected of (涉嫌罪名)."
    )
    likely_sentence: SentenceBand = Field(description="The likely sentence band.")
    pleads_guilty: bool = Field(
        description="Admits guilt and accepts punishment (认罪认罚): the plea procedure, and the "
        "condition of the expedited procedure (CPL Art. 222)."
    )
    admits_guilt: bool | None = Field(
        default=None,
        description="Admits the offence (认罪), whether or not the proposed punishment is "
        "accepted. Denying it (拒不认罪) is the Measures Art. 2(2) ground, for the suspect and "
        "every co-suspect. Absent: known only from `pleads_guilty` (true implies admission; "
        "false leaves it unknown and is read as a denial, which keeps the suspect in scope).",
    )

    @field_validator("offence_date")
    @classmethod
    def _offence_after_birth(cls, value: date | None, info: ValidationInfo) -> date | None:
        born = info.data.get("birth_date")
        if value is not None and born is not None and value < born:
            raise ValueError("the offence date is before the birth date")
        return value

    def minority_judged_on(self, received_on: date) -> date:
        """The day the suspect's age decides minority on: the offence, where the transfer states
        it (a suspect who offended at 17 is a minor's case however old at receipt), else the
        receipt."""
        return self.offence_date if self.offence_date is not None else received_on

    @property
    def denies_guilt(self) -> bool:
        """拒不认罪 (Measures Art. 2(2)): admitting guilt without accepting the punishment is not
        a denial."""
        if self.admits_guilt is not None:
            return not self.admits_guilt
        return not self.pleads_guilty

    @model_validator(mode="after")
    def _plea_implies_admission(self) -> Self:
        if self.pleads_guilty and self.admits_guilt is False:
            raise ValueError("pleads_guilty (认罪认罚) implies admits_guilt")
        return self

    retained_counsel: RetainedCounsel | None = Field(
        default=None, description="Counsel already retained at the time of transfer, if any."
    )


class OrganisationSuspect(ContractModel):
    """An organisation (单位) suspected in the case. Not a suspect for appointed defense; listed
    so that nothing tries to appoint a lawyer for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "suspect_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                    "name": "天津某某商贸有限公司",
                    "credit_code": "91120102MA05XXXX1Q",
                    "charges": ["单位行贿罪"],
                }
            ]
        }
    )

    suspect_id: UUID = Field(description="The organisation's suspect id in this case.")
    name: OrgName = Field(description="The organisation's registered name.")
    credit_code: Reference | None = Field(
        default=None, description="Unified social credit code (统一社会信用代码)."
    )
    charges: tuple[Charge, ...] = Field(
        min_length=1, description="The crimes the organisation is suspected of."
    )


class CaseParticulars(ContractModel):
    """What a case transferred for review (移送审查起诉) consists of. Shared by the agency's
    `CaseTransferred` and the procuratorate's `CaseReceived`."""

    transfer_number: Reference = Field(
        description="The transferring agency's own reference for the transfer (移送文书号)."
    )
    transferring_agency: OrgName = Field(
        description="The agency that transferred the case, e.g. 天津市公安局河东分局."
    )
    transferring_agency_kind: TransferringAgencyKind = Field(
        description="The kind of transferring agency."
    )
    procuratorate_unit: OrgName = Field(
        description="The procuratorate that reviews the case and issues its documents, e.g. "
        "天津市河东区人民检察院."
    )
    district: District = Field(
        description="The district whose pilot scope applies, e.g. 河东区 (a code or a name)."
    )
    charges: tuple[Charge, ...] = Field(
        min_length=1, description="Every crime in the case (案由), across all suspects."
    )
    suspects: tuple[SuspectParticulars, ...] = Field(
        min_length=1,
        description="The natural-person suspects; co-suspects of one joint crime share a case.",
    )
    organisation_suspects: tuple[OrganisationSuspect, ...] = Field(
        default=(), description="Organisations suspected in the case (单位犯罪)."
    )
    major_and_complex: bool = Field(
        description="The case is major and complex (案情重大复杂): Measures Art. 2(c), and the "
        "review period's 15-day extension (CPL Art. 172)."
    )
    social_impact: bool = Field(
        description="The case may cause major social impact: Measures Art. 2(d)."
    )

    @field_validator("suspects")
    @classmethod
    def _suspect_ids_unique(
        cls, suspects: tuple[SuspectParticulars, ...]
    ) -> tuple[SuspectParticulars, ...]:
        ids = [s.suspect_id for s in suspects]
        if len(set(ids)) != len(ids):
            raise ValueError("suspect ids must be unique")
        return suspects

    @field_validator("organisation_suspects")
    @classmethod
    def _organisation_ids_unique(
        cls, organisations: tuple[OrganisationSuspect, ...], info: ValidationInfo
    ) -> tuple[OrganisationSuspect, ...]:
        people: tuple[SuspectParticulars, ...] = info.data.get("suspects", ())
        ids = [s.suspect_id for s in people] + [o.suspect_id for o in organisations]
        if len(set(ids)) != len(ids):
            raise ValueError("suspect ids must be unique across people and organisations")
        return organisations


def given_exactly_when(value: object, *, when: bool, what: str) -> None:
    """Check a field that another field makes required (`when`) or forbidden.

    Called from a field validator (with `validate_default=True`) so that the error names this
    field, and only when the deciding field, declared earlier, was itself valid.
    """
    if when and value is None:
        raise ValueError(f"required for {what}")
    if not when and value is not None:
        raise ValueError(f"only allowed for {what}")


class AuditChainAnchor(ContractModel):
    """The head of a service's audit log, published so that the log's newest entries cannot be
    cut off unseen: the log is chained with a keyed MAC, and a later check
    (``python -m service_runtime.security.audit verify --anchor ENTRIES:MAC``) must still find
    this entry with this MAC. Each service publishes its own as ``<Service>AuditChainAnchored``
    on its own topic; consumers ignore them."""

    entries: int = Field(ge=1, description="The newest entry's id (= the number of entries).")
    head_mac: str = Field(pattern=r"^[0-9a-f]{64}$", description="That entry's HMAC-SHA256, hex.")
    anchored_at: Instant = Field(description="When the head was read.")
