"""Client-generated request ids: a retried write never creates a second record."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from clinic_desktop.db.models import Caregiver


def _create_caregiver(database, actor, request_id, made):
    with database.unit_of_work(actor) as uow:
        earlier = uow.claim_request(request_id, "caregiver")
        if earlier is not None:
            made.append(("replayed", earlier))
            return earlier
        caregiver = Caregiver(clinic_id=actor.clinic_id, given_name="Rita", family_name="Retry")
        uow.session.add(caregiver)
        uow.session.flush()
        uow.complete_request(request_id, caregiver.id)
        made.append(("created", caregiver.id))
        return caregiver.id


def _count(database, clinic_id):
    with database.unit_of_work(None) as uow:
        return uow.session.scalar(select(func.count()).select_from(Caregiver).where(Caregiver.clinic_id == clinic_id))


def test_retry_with_same_request_id_returns_the_first_result(database, clinic):
    request_id, made = uuid.uuid4(), []
    first = _create_caregiver(database, clinic.nurse, request_id, made)
    second = _create_caregiver(database, clinic.nurse, request_id, made)
    assert first == second and [m[0] for m in made] == ["created", "replayed"]
    assert _count(database, clinic.clinic_id) == 1


def test_concurrent_duplicates_create_one_record(database, clinic):
    request_id, made = uuid.uuid4(), []
    threads = [threading.Thread(target=_create_caregiver, args=(database, clinic.nurse, request_id, made)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(m[0] for m in made) == ["created", "replayed", "replayed", "replayed"]
    assert len({m[1] for m in made}) == 1
    assert _count(database, clinic.clinic_id) == 1


def test_a_rolled_back_attempt_leaves_the_request_unclaimed(database, clinic):
    request_id, made = uuid.uuid4(), []
    try:
        with database.unit_of_work(clinic.nurse) as uow:
            assert uow.claim_request(request_id, "caregiver") is None
            raise RuntimeError("connection dropped before commit")
    except RuntimeError:
        pass
    _create_caregiver(database, clinic.nurse, request_id, made)
    assert made[0][0] == "created" and _count(database, clinic.clinic_id) == 1
