"""The grounds for ending legal aid (终止法律援助), who may bring each, and whether it applies to
the aid given (pure; the use case ``use_cases/terminations.py`` acts on it).

LAL Art. 48:
    有下列情形之一的，法律援助机构应当作出终止法律援助的决定：（一）受援人以欺骗或者其他不正当手段
    获得法律援助；（二）受援人故意隐瞒与案件有关的重要事实或者提供虚假证据；（三）受援人利用法律援助
    从事违法活动；（四）受援人的经济状况发生变化，不再符合法律援助条件；（五）案件终止审理或者已经
    被撤销；（六）受援人自行委托律师或者其他代理人；（七）受援人有正当理由要求终止法律援助；
    （八）法律法规规定的其他情形。
    法律援助人员发现有前款规定情形的，应当及时向法律援助机构报告。

The decision is the center's; the lawyer who finds a ground reports it (¶2), and staff decide.
Some grounds are facts the procuratorate records and sends as events (counsel retained, Measures
Art. 6; self-defense permitted, Art. 5; non-prosecution and a change of jurisdiction, Art. 10;
the hand-over at indictment, Art. 13): the center acts on the event, and staff cannot record
them by hand, or the procuratorate's projection would never learn of them.

What follows for the suspect is the shared definition of the letter period
(``legal_calendar.deadlines.letter_after_termination``): a suspect in the mandatory scope left
without a defender is owed a new letter, and the new letter a new appointment (CPL Art. 35).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from defense_schemas.vocabulary import AppointmentBasis, TerminationReason


class TerminatedBy(StrEnum):
    """Who brings a ground to the center."""

    CENTER = "center"
    """The center's staff decide (on their own findings or the lawyer's report, Art. 48 ¶2)."""
    PROCURATORATE = "procuratorate"
    """The procuratorate's event; the center acts on it."""


@dataclass(frozen=True)
class TerminationGround:
    reason: TerminationReason
    basis: str
    """Where the law says so."""
    brought_by: TerminatedBy
    economic_test_only: bool = False
    """Applies only to aid granted on the economic test (an application, LAL Art. 41): aid on a
    notice of defense (LAL Art. 25) or exempt from the test (Art. 32, 42) does not depend on the
    recipient's means."""


GROUNDS: dict[TerminationReason, TerminationGround] = {
    g.reason: g
    for g in (
        TerminationGround(
            TerminationReason.OBTAINED_BY_DECEPTION, "LAL Art. 48(1)", TerminatedBy.CENTER
        ),
        TerminationGround(TerminationReason.FACTS_CONCEALED, "LAL Art. 48(2)", TerminatedBy.CENTER),
        TerminationGround(TerminationReason.UNLAWFUL_USE, "LAL Art. 48(3)", TerminatedBy.CENTER),
        TerminationGround(
            TerminationReason.ECONOMIC_SITUATION_CHANGED,
            "LAL Art. 48(4)",
            TerminatedBy.CENTER,
            economic_test_only=True,
        ),
        # Withdrawn (撤销) by the transferring agency: staff record it; non-prosecution comes as
        # the procuratorate's decision.
        TerminationGround(
            TerminationReason.PROCEEDINGS_ENDED, "LAL Art. 48(5)", TerminatedBy.CENTER
        ),
        TerminationGround(
            TerminationReason.COUNSEL_RETAINED,
            "LAL Art. 48(6); Measures Art. 6",
            TerminatedBy.PROCURATORATE,
        ),
        TerminationGround(
            TerminationReason.RECIPIENT_REQUEST, "LAL Art. 48(7)", TerminatedBy.CENTER
        ),
        TerminationGround(TerminationReason.OTHER, "LAL Art. 48(8)", TerminatedBy.CENTER),
        TerminationGround(
            TerminationReason.NO_LONGER_ELIGIBLE,
            "LAL Art. 48(8) with Art. 25: no ground of the mandatory scope applies any more",
            TerminatedBy.CENTER,
        ),
        TerminationGround(
            TerminationReason.SELF_DEFENSE_PERMITTED,
            "Measures Art. 5; LAL Art. 48(8)",
            TerminatedBy.PROCURATORATE,
        ),
        TerminationGround(
            TerminationReason.JURISDICTION_CHANGED,
            "Measures Art. 10; CPL Art. 34: the receiving procuratorate notifies its own center",
            TerminatedBy.PROCURATORATE,
        ),
        TerminationGround(
            TerminationReason.STAGE_ENDED, "Measures Art. 13", TerminatedBy.PROCURATORATE
        ),
    )
}


def refusal_of_staff_termination(
    reason: TerminationReason, basis: AppointmentBasis, *, economic_test_applied: bool
) -> str | None:
    """Why staff may not terminate aid on ``reason`` for aid of ``basis``, or None when they
    may. ``economic_test_applied``: the aid was granted on the recipient's economic hardship
    (an application not exempt from the test)."""
    ground = GROUNDS[reason]
    if ground.brought_by is TerminatedBy.PROCURATORATE:
        return (
            f"{reason.value} ({ground.basis}) is recorded by the procuratorate; the center "
            "acts on its event"
        )
    if ground.economic_test_only and (
        basis is not AppointmentBasis.APPLICATION or not economic_test_applied
    ):
        return (
            f"{reason.value} ({ground.basis}) applies only to aid granted on economic "
            "hardship; this aid does not depend on the recipient's means (LAL Art. 25, 32, 42)"
        )
    return None
