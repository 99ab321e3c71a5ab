"""Named policies of the procuratorate: choices the law leaves to the institution, kept explicit."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from defense_schemas.vocabulary import DefenseStatus, Ground
from legal_calendar.deadlines import letter_owed_after_dismissal
from procuratorate.domain.eligibility import has_legal_aid_law_ground


class SelfDefensePolicy(StrEnum):
    """When a mandatory-scope suspect may be permitted to defend themselves (Measures Art. 5).

    - `measures_art_2_only` (default) — only where every ground is a Measures Art. 2 ground; for
      LAL Art. 25(1) grounds the law requires a defender (CPL Art. 35, 278).
    - `always_with_permission` — the procuratorate's permission suffices on any ground.
    """

    MEASURES_ART_2_ONLY = "measures_art_2_only"
    ALWAYS_WITH_PERMISSION = "always_with_permission"


def self_defense_refusal(policy: SelfDefensePolicy, grounds: Iterable[Ground]) -> str | None:
    """Why self-defense cannot be permitted under `policy`, or None when it can."""
    grounds = tuple(grounds)
    if policy is SelfDefensePolicy.MEASURES_ART_2_ONLY and has_legal_aid_law_ground(grounds):
        cited = ", ".join(g.citation for g in grounds if g.basis.value.startswith("legal_aid"))
        return (
            f"self-defense is not permitted: the suspect's grounds include {cited}, and the law "
            "requires a defender (CPL Art. 35, 278; policy measures_art_2_only)"
        )
    return None


def renotify_after_dismissal(grounds: Iterable[Ground], *, aid_was_terminated: bool) -> bool:
    """After aid was terminated because counsel was retained, dismissing that counsel brings a
    new notice only on an LAL Art. 25(1) ground (Measures Art. 6). Without a prior
    termination, a mandatory-scope suspect is notified on any ground."""
    grounds = tuple(grounds)
    return letter_owed_after_dismissal(
        in_scope=bool(grounds),
        aid_was_terminated=aid_was_terminated,
        on_legal_aid_law_ground=has_legal_aid_law_ground(grounds),
    )


def derive_status(
    active_defender_kinds: Iterable[str], *, self_defense_permitted: bool
) -> DefenseStatus:
    """The suspect's one defense status in the ledger, from the defenders active now.

    Retained counsel outranks an appointment (Art. 6: aid ends when counsel is retained), an
    appointment outranks a permitted self-defense still awaiting the termination of aid, and
    duty-lawyer help counts only when nothing else applies."""
    kinds = set(active_defender_kinds)
    for status in (
        DefenseStatus.RETAINED,
        DefenseStatus.APPOINTED_ON_NOTICE,
        DefenseStatus.APPOINTED_ON_APPLICATION,
    ):
        if status.value in kinds:
            return status
    if self_defense_permitted:
        return DefenseStatus.SELF_DEFENSE
    if DefenseStatus.DUTY_LAWYER_ONLY.value in kinds:
        return DefenseStatus.DUTY_LAWYER_ONLY
    return DefenseStatus.NONE
