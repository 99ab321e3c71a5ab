"""Two aid-center replicas on one database: the roster's limits hold across processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from aid_center.service import create_app
from aid_center.settings import AidCenterSettings
from defense_schemas import Envelope
from service_runtime.security.principal import Role
from services.aid_center.tests.integration.center import CENTER
from services.aid_center.tests.integration.test_aid_center_flow import new_case, notice_for
from tests.infrastructure import bearer, eventually, own_topics, run_service

pytestmark = pytest.mark.integration

NOTICES = 8
CAPACITY = 2


async def test_two_replicas_never_give_away_more_places_than_a_lawyer_has(
    service_settings: Callable[..., Any],
) -> None:
    """Every notice fails first (empty roster); then one lawyer with two places joins and staff
    retry all notices at once, half through each replica. Each replica's choice is serialised
    per case only, so without a lock on the lawyer chosen both replicas read the same free
    places and give them away twice."""
    settings: AidCenterSettings = await service_settings(
        AidCenterSettings, "aid-replicas", **own_topics("aid-replicas")
    )
    async with contextlib.AsyncExitStack() as stack:
        # Started one after the other: the first applies the migrations.
        first = await stack.enter_async_context(run_service(create_app(settings), settings))
        second = await stack.enter_async_context(run_service(create_app(settings), settings))
        headers = bearer(settings, Role.AID_CENTER_STAFF, agency=CENTER)
        for replica in (first, second):
            replica.client.headers.update(headers)
        producer = AIOKafkaProducer(**settings.kafka.options())
        await producer.start()
        stack.push_async_callback(producer.stop)

        notice_ids = []
        for _ in range(NOTICES):
            case_id, received, (adult_id, _) = new_case()
            notice = notice_for(adult_id, minor=False)
            for event in (received, notice):
                envelope = Envelope.for_event(event, case_id=case_id, producer="procuratorate")
                await producer.send_and_wait(
                    settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key
                )
            notice_ids.append(notice.notice_id)

        async def all_unassignable() -> bool:
            listed = (await first.client.get("/notices", params={"status": "unassignable"})).json()[
                "items"
            ]
            return len(listed) == NOTICES

        await eventually(all_unassignable, what="every notice unassignable on an empty roster")

        firm_body = {"name": "天津壬律师事务所", "contact": "022-1"}
        firm = (await first.client.post("/firms", json=firm_body)).json()
        lawyer = await first.client.post(
            "/lawyers",
            json={
                "firm_id": firm["firm_id"],
                "name": "律师R001",
                "license_number": "R001",
                "contact": "138R001",
                "gender": "male",
                "criminal_practice_years": 5,
                "max_concurrent_cases": CAPACITY,
            },
        )
        assert lawyer.status_code == 201, lawyer.text
        lawyer_id = lawyer.json()["lawyer_id"]

        replicas = (first, second)
        responses = await asyncio.gather(
            *(
                replicas[i % 2].client.post(f"/notices/{notice_id}/assignment", json={})
                for i, notice_id in enumerate(notice_ids)
            )
        )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        assigned = [r.json()["assignment_id"] for r in responses if r.json()["assignment_id"]]
        listed = (await first.client.get("/assignments", params={"lawyer_id": lawyer_id})).json()[
            "items"
        ]
        active = [a for a in listed if a["status"] == "active"]
        assert len(active) <= CAPACITY, f"{len(active)} active assignments for {CAPACITY} places"
        assert len(assigned) == CAPACITY
        load = (await second.client.get(f"/lawyers/{lawyer_id}")).json()
        assert load["active_cases"] == CAPACITY
        # The notices that found no place say so.
        still = (await first.client.get("/notices", params={"status": "unassignable"})).json()[
            "items"
        ]
        assert len(still) == NOTICES - CAPACITY

        # Two staff members retry the same notice at the same moment, one on each replica:
        # one of them appoints, the other is told the notice is taken.
        other = await first.client.post(
            "/lawyers",
            json={
                "firm_id": firm["firm_id"],
                "name": "律师R002",
                "license_number": "R002",
                "contact": "138R002",
                "gender": "male",
                "criminal_practice_years": 5,
                "max_concurrent_cases": 10,
            },
        )
        assert other.status_code == 201, other.text
        contested = still[0]["notice_id"]
        both = await asyncio.gather(
            *(r.client.post(f"/notices/{contested}/assignment", json={}) for r in replicas)
        )
        assert sorted(r.status_code for r in both) == [200, 409], [r.text for r in both]
        of_notice = (
            await first.client.get("/assignments", params={"suspect_id": still[0]["suspect_id"]})
        ).json()["items"]
        assert len(of_notice) == 1


CASES = 4


async def test_two_replicas_never_give_co_suspects_lawyers_of_one_firm(
    service_settings: Callable[..., Any],
) -> None:
    """Co-suspects of one case (Measures Art. 13): every case's two notices fail first (empty
    roster), then one firm with roomy lawyers and another firm join, and staff retry each
    case's two notices at once, one through each replica. Both replicas' engines pick the same
    best lawyer; only the case's lock makes the second see the first's appointment and take
    the other firm (without it the second collides with the first on the database's
    one-firm-per-case index and is refused, or gets the same firm)."""
    settings: AidCenterSettings = await service_settings(
        AidCenterSettings, "aid-replicas-firm", **own_topics("aid-replicas-firm")
    )
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(run_service(create_app(settings), settings))
        second = await stack.enter_async_context(run_service(create_app(settings), settings))
        headers = bearer(settings, Role.AID_CENTER_STAFF, agency=CENTER)
        for replica in (first, second):
            replica.client.headers.update(headers)
        producer = AIOKafkaProducer(**settings.kafka.options())
        await producer.start()
        stack.push_async_callback(producer.stop)

        pairs: list[tuple[Any, Any]] = []
        for _ in range(CASES):
            case_id, received, (adult_id, minor_id) = new_case()
            notices = (notice_for(adult_id, minor=False), notice_for(minor_id, minor=True))
            for event in (received, *notices):
                envelope = Envelope.for_event(event, case_id=case_id, producer="procuratorate")
                await producer.send_and_wait(
                    settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key
                )
            pairs.append((notices[0].notice_id, notices[1].notice_id))

        async def all_unassignable() -> bool:
            listed = (await first.client.get("/notices", params={"status": "unassignable"})).json()[
                "items"
            ]
            return len(listed) == 2 * CASES

        await eventually(all_unassignable, what="every notice unassignable on an empty roster")

        firm_of: dict[str, str] = {}
        for firm_name, count in (("天津甲律师事务所", 3), ("天津乙律师事务所", 3)):
            firm = await first.client.post("/firms", json={"name": firm_name, "contact": "1"})
            firm_id = firm.json()["firm_id"]
            for number in range(count):
                license_number = f"{firm_id[:4]}{number}"
                lawyer = await first.client.post(
                    "/lawyers",
                    json={
                        "firm_id": firm_id,
                        "name": f"律师{license_number}",
                        "license_number": license_number,
                        "contact": f"138{license_number}",
                        "gender": "male",
                        "criminal_practice_years": 5,
                        "max_concurrent_cases": 2 * CASES,
                    },
                )
                assert lawyer.status_code == 201, lawyer.text
                firm_of[lawyer.json()["lawyer_id"]] = firm_id

        responses = await asyncio.gather(
            *(
                replica.client.post(f"/notices/{notice_id}/assignment", json={})
                for pair in pairs
                for replica, notice_id in zip((first, second), pair, strict=True)
            )
        )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        assert all(r.json()["assignment_id"] for r in responses), [r.text for r in responses]
        lawyer_of = {}
        for response in responses:
            assignment_id = response.json()["assignment_id"]
            assignment = (await first.client.get(f"/assignments/{assignment_id}")).json()
            lawyer_of[assignment_id] = assignment["lawyer_id"]
        for adult, minor in zip(responses[::2], responses[1::2], strict=True):
            chosen = [lawyer_of[r.json()["assignment_id"]] for r in (adult, minor)]
            assert firm_of[chosen[0]] != firm_of[chosen[1]], "co-suspects, one firm"


LETTERS = 24
PLACES = (3, 3)


async def test_two_replicas_consuming_letters_never_give_away_more_places_than_a_roster_has(
    service_settings: Callable[..., Any],
) -> None:
    """Two replicas in one consumer group each take half the partitions and appoint their
    letters (together, a poll's letters in one transaction) at the same time, against one
    roster with fewer places than letters. Both read the same free places; only the chosen
    lawyers' row locks and the recount under them keep each lawyer within capacity."""
    settings: AidCenterSettings = await service_settings(
        AidCenterSettings, "aid-replicas-letters", **own_topics("aid-replicas-letters")
    )
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(run_service(create_app(settings), settings))
        second = await stack.enter_async_context(run_service(create_app(settings), settings))
        replicas = (first, second)
        headers = bearer(settings, Role.AID_CENTER_STAFF, agency=CENTER)
        for replica in replicas:
            replica.client.headers.update(headers)

        async def both_consuming() -> bool:
            consumers = [replica.runtime.consumer for replica in replicas]
            return all(
                consumer is not None
                and consumer._consumer is not None
                and bool(consumer._consumer.assignment())
                for consumer in consumers
            )

        await eventually(both_consuming, timeout=60, what="both replicas holding partitions")
        lawyer_ids = []
        for index, places in enumerate(PLACES):
            firm = await first.client.post(
                "/firms", json={"name": f"天津癸{index}律师事务所", "contact": "022-1"}
            )
            lawyer = await first.client.post(
                "/lawyers",
                json={
                    "firm_id": firm.json()["firm_id"],
                    "name": f"律师Q00{index}",
                    "license_number": f"Q00{index}",
                    "contact": f"138Q00{index}",
                    "gender": "male",
                    "criminal_practice_years": 5,
                    "max_concurrent_cases": places,
                },
            )
            assert lawyer.status_code == 201, lawyer.text
            lawyer_ids.append(lawyer.json()["lawyer_id"])

        producer = AIOKafkaProducer(**settings.kafka.options())
        await producer.start()
        stack.push_async_callback(producer.stop)
        cases = [new_case() for _ in range(LETTERS)]
        for case_id, received, _ in cases:
            envelope = Envelope.for_event(received, case_id=case_id, producer="procuratorate")
            await producer.send(settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key)
        # The letters go out in one burst, so each replica's polls carry several at once.
        for case_id, _, (adult_id, _) in cases:
            letter = notice_for(adult_id, minor=False)
            envelope = Envelope.for_event(letter, case_id=case_id, producer="procuratorate")
            await producer.send(settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key)
        await producer.flush()

        async def every_letter_decided() -> bool:
            decided = 0
            for status in ("assigned", "unassignable"):
                listed = await first.client.get("/notices", params={"status": status})
                decided += len(listed.json()["items"])
            return decided == LETTERS

        await eventually(every_letter_decided, timeout=120, what="every letter decided")
        for lawyer_id, places in zip(lawyer_ids, PLACES, strict=True):
            load = (await second.client.get(f"/lawyers/{lawyer_id}")).json()
            assert load["active_cases"] == places, load
        assigned = (await first.client.get("/notices", params={"status": "assigned"})).json()
        assert len(assigned["items"]) == sum(PLACES)
