"""Who must hear about an event, through which channel, and when a failed send is retried.

Pure: :func:`recipients_for` takes an event and the case's known contacts (the contacts
projection) and returns the recipients; :func:`channel_for` reads the channel off an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from defense_schemas import BaseEvent
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import CustodyStatus, DeliveryChannel, RecipientRole


@dataclass(frozen=True)
class Contact:
    """A person (or agency system) of a case and how to reach them (联系方式)."""

    role: RecipientRole
    name: str | None
    address: str
    suspect_id: UUID | None = None


@dataclass(frozen=True)
class Recipient:
    """One delivery to make for an event."""

    role: RecipientRole
    name: str | None
    address: str
    channel: DeliveryChannel
    suspect_id: UUID | None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")


def channel_for(address: str) -> DeliveryChannel | None:
    """E-mail for an address, SMS for a phone number, webhook for an agency system's URL;
    None for what no channel can reach (a postal address: it stays a paper matter)."""
    address = address.strip()
    if address.startswith(("https://", "http://")):
        return DeliveryChannel.WEBHOOK
    if _EMAIL.match(address):
        return DeliveryChannel.EMAIL
    if _PHONE.match(address):
        return DeliveryChannel.SMS
    return None


def contacts_from(event: BaseEvent) -> tuple[list[Contact], set[tuple[RecipientRole, UUID | None]]]:
    """The contacts an event makes known, and the (role, suspect) pairs they replace."""
    match event:
        case pr.CaseReceived():
            found: list[Contact] = []
            replaced: set[tuple[RecipientRole, UUID | None]] = set()
            if event.prosecutor is not None:
                found.append(
                    Contact(
                        RecipientRole.PROSECUTOR, event.prosecutor.name, event.prosecutor.contact
                    )
                )
                replaced.add((RecipientRole.PROSECUTOR, None))
            for suspect in event.suspects:
                sid = suspect.suspect_id
                replaced |= {
                    (RecipientRole.GUARDIAN, sid),
                    (RecipientRole.CLOSE_RELATIVE, sid),
                    (RecipientRole.SUSPECT, sid),
                }
                if suspect.custody_status is not CustodyStatus.DETAINED:
                    # A detained suspect is told in person by the procuratorate; a message to
                    # the contact on file would reach the detention center, not the suspect.
                    found += [
                        Contact(RecipientRole.SUSPECT, suspect.name, contact, sid)
                        for contact in suspect.contacts
                    ]
                if suspect.guardian is not None:
                    found.append(
                        Contact(
                            RecipientRole.GUARDIAN,
                            suspect.guardian.name,
                            suspect.guardian.contact,
                            sid,
                        )
                    )
                for relative in suspect.close_relatives:
                    if relative.contact is not None:
                        found.append(
                            Contact(
                                RecipientRole.CLOSE_RELATIVE, relative.name, relative.contact, sid
                            )
                        )
            return found, replaced
        case pr.DefenseNoticeSent():
            handler = event.letter.case_handler
            return (
                [Contact(RecipientRole.PROSECUTOR, handler.name, handler.contact)],
                {(RecipientRole.PROSECUTOR, None)},
            )
        case aid.LawyerAssigned() | aid.LawyerReplaced():
            lawyer = event.lawyer
            return (
                [Contact(RecipientRole.LAWYER, lawyer.name, lawyer.contact, event.suspect_id)],
                {(RecipientRole.LAWYER, event.suspect_id)},
            )
        case aid.DutyLawyerAssigned():
            lawyer = event.lawyer
            return (
                [Contact(RecipientRole.DUTY_LAWYER, lawyer.name, lawyer.contact, event.suspect_id)],
                {(RecipientRole.DUTY_LAWYER, event.suspect_id)},
            )
        case aid.ApplicationMaterialsRequested() | aid.ApplicationDecided():
            # LAL Art. 43: the center answers whoever applied, as the application names them.
            if event.applicant_contact is None:
                return [], set()
            return (
                [
                    Contact(
                        RecipientRole.APPLICANT,
                        event.applicant_name,
                        event.applicant_contact,
                        event.suspect_id,
                    )
                ],
                {(RecipientRole.APPLICANT, event.suspect_id)},
            )
        case aid.AidTerminated():
            # The appointed lawyer no longer acts; later messages must not reach them.
            return [], set()
    return [], set()


# The contacts the aid center's own events make known. Its topic is ordered per case, so the
# ones a held aid-center event would have reached in order are those known when it was applied:
# a later event of the same topic (the appointment's end, a replacement) must not take them
# away from it. The other roles come from the procuratorate's topic — the fact the event waits
# for — and are taken when it is released.
AID_CENTER_CONTACT_ROLES = frozenset(
    {RecipientRole.LAWYER, RecipientRole.DUTY_LAWYER, RecipientRole.APPLICANT}
)


def kept_for_held(contacts: Iterable[Contact]) -> tuple[Contact, ...]:
    """What a held event keeps of the case's contacts when it is held."""
    return tuple(c for c in contacts if c.role in AID_CENTER_CONTACT_ROLES)


def contacts_on_release(
    kept: Iterable[Contact] | None, current: Iterable[Contact]
) -> list[Contact]:
    """The contacts a held event's messages go to when it is released: those it kept of the aid
    center's roles, the current ones of the others (``kept`` is None for an event held before
    the contacts were kept: the current ones, as then)."""
    if kept is None:
        return list(current)
    return [c for c in current if c.role not in AID_CENTER_CONTACT_ROLES] + list(kept)


# Who must hear about what (Measures Art. 4, 7, 10; Art. 3 for the supplement; Art. 5-6 for a
# termination). "suspects" means the roles are looked up for each suspect the event concerns.
_CASE_WIDE = (RecipientRole.PROSECUTOR,)
AUDIENCE: Mapping[str, tuple[RecipientRole, ...]] = {
    # Art. 4: the center informs the procuratorate of the lawyer; the lawyer must start work.
    "LawyerAssigned": (RecipientRole.LAWYER, RecipientRole.PROSECUTOR, RecipientRole.PROCURATORATE),
    "LawyerReplaced": (RecipientRole.LAWYER, RecipientRole.PROSECUTOR, RecipientRole.PROCURATORATE),
    # Art. 7: the lawyer is told at once of the expedited procedure.
    "ExpeditedProcedureApplied": (RecipientRole.LAWYER,),
    # Art. 8: the arranged file review.
    "FileReviewScheduled": (RecipientRole.LAWYER,),
    # Art. 10: procedural decisions, promptly.
    "ProceduralDecisionMade": (RecipientRole.LAWYER,),
    # Art. 3: the center asks the procuratorate to supplement the letter.
    "SupplementRequested": (RecipientRole.PROSECUTOR, RecipientRole.PROCURATORATE),
    # Art. 5-6: aid ended; the relatives or guardian must know the suspect has no appointed
    # lawyer any more, and the lawyer must stop.
    "AidTerminated": (RecipientRole.CLOSE_RELATIVE, RecipientRole.GUARDIAN, RecipientRole.LAWYER),
    # Art. 3: the letter reaches the center's system.
    "DefenseNoticeSent": (RecipientRole.AID_CENTER,),
    # The 3-day assignment clock is at risk: the procuratorate must know (Art. 4).
    "AssignmentFailed": (RecipientRole.PROSECUTOR, RecipientRole.PROCURATORATE),
    # Art. 15: the duty lawyer is told whom to help.
    "DutyLawyerAssigned": (RecipientRole.DUTY_LAWYER,),
    # Art. 5: the center must appoint another lawyer.
    "ReappointmentRequested": (RecipientRole.AID_CENTER,),
    # Art. 5 ¶1: an appointment ended while aid goes on (an allowed refusal, or a replacement
    # nobody could take). The lawyer must stop; the case handler must see the suspect defended
    # again (counsel retained, or the written request for another lawyer; after a failed
    # replacement the center's Art. 4 period runs); the suspect (one at liberty, at their own
    # contact) must retain counsel or await another lawyer, and the guardian or relatives may
    # retain counsel for the suspect (Art. 6), as after a termination.
    "AssignmentEnded": (
        RecipientRole.SUSPECT,
        RecipientRole.LAWYER,
        RecipientRole.PROSECUTOR,
        RecipientRole.PROCURATORATE,
        RecipientRole.GUARDIAN,
        RecipientRole.CLOSE_RELATIVE,
    ),
    # Art. 9-10: the review period's last day moved (its year's calendar was loaded); each
    # lawyer's written opinion is due before it.
    "ReviewDeadlineRecounted": (RecipientRole.LAWYER,),
    # LAL Art. 43, 49: the applicant is asked once for what is missing, and told the decision
    # (a refusal in writing, with its reasons and where to object).
    "ApplicationMaterialsRequested": (RecipientRole.APPLICANT,),
    "ApplicationDecided": (RecipientRole.APPLICANT,),
}

_AGENCY_ROLES = (RecipientRole.PROCURATORATE, RecipientRole.AID_CENTER)


def suspects_of(event: BaseEvent) -> tuple[UUID, ...]:
    """The suspects an event concerns (empty for a case-wide event)."""
    ids = getattr(event, "suspect_ids", None)
    if ids is not None:
        return tuple(ids)
    one = getattr(event, "suspect_id", None)
    return (one,) if one is not None else ()


def recipients_for(
    event: BaseEvent,
    contacts: Iterable[Contact],
    agency_webhooks: Mapping[RecipientRole, str],
) -> list[Recipient]:
    """Every delivery an event needs: for each role in its audience, each known contact of that
    role (for the suspects it concerns, or case-wide), through the channel its address allows.
    Agencies are reached through their systems' webhooks. Duplicates (one lawyer for two
    suspects) are delivered once. An event of the whole case (it names no suspect, e.g. the
    review period moved) concerns every suspect: each suspect's contacts of the roles hear of
    it."""
    audience = AUDIENCE.get(event.event_type, ())
    suspects = set(suspects_of(event))
    whole_case = not suspects
    known = list(contacts)
    found: dict[tuple[RecipientRole, str, DeliveryChannel], Recipient] = {}
    first_suspect = next(iter(sorted(suspects, key=str)), None)
    for role in audience:
        if role in _AGENCY_ROLES:
            url = agency_webhooks.get(role)
            if url:
                found.setdefault(
                    (role, url, DeliveryChannel.WEBHOOK),
                    Recipient(role, None, url, DeliveryChannel.WEBHOOK, first_suspect),
                )
            continue
        for contact in known:
            if contact.role is not role:
                continue
            if role not in _CASE_WIDE and not whole_case and contact.suspect_id not in suspects:
                continue
            channel = channel_for(contact.address)
            if channel is None:
                continue
            suspect_id = contact.suspect_id if contact.suspect_id is not None else first_suspect
            found.setdefault(
                (role, contact.address, channel),
                Recipient(role, contact.name, contact.address, channel, suspect_id),
            )
    return list(found.values())


def retry_delay(attempt: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff after failed attempt number `attempt` (1, 2, …): base, 2·base, 4·base…
    capped, so a channel that is down for hours is not hammered and one that blipped is retried
    soon."""
    return timedelta(seconds=min(base_seconds * 2 ** (attempt - 1), max_seconds))
