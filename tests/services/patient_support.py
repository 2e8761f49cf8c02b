"""Helpers for the patient tests: register patients through the real service."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from clinic_desktop.services.patient_service import PatientService

_counter = itertools.count(1)


def patient_data(**overrides: Any) -> dict[str, Any]:
    """Valid registration data (a unique MRN each call) with `overrides` applied."""
    n = next(_counter)
    data: dict[str, Any] = {
        "mrn": f"T{n:06d}",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "date_of_birth": date(1980, 4, 23),
        "sex": "female",
        "phone": "+49 30 1234567",
        "email": "anna@example.org",
    }
    data.update(overrides)
    return data


def register(service: PatientService, actor, **overrides: Any):  # noqa: ANN001, ANN201
    return service.create(actor, data=patient_data(**overrides))
