"""The glucose pane finds patients through the real patients service, in each patient's own unit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from clinic_desktop.domain.enums import GlucoseUnit
from clinic_desktop.qt.app_context import Services
from clinic_desktop.qt.panes.glucose_gateway import GlucoseGateway
from clinic_desktop.services.patient_service import PatientService
from tests.services.patient_support import register


def test_search_returns_choices_with_the_patients_unit(database, clinic):
    service = PatientService(database)
    mmol = register(service, clinic.doctor, family_name="Unitmmol", glucose_unit="mmol/L")
    mgdl = register(service, clinic.doctor, family_name="Unitmgdl", glucose_unit="mg/dL")
    gateway = GlucoseGateway(Services(patients=service), clinic.doctor)
    # The gateway is what panes call on their worker threads: call it from one here too.
    with ThreadPoolExecutor(max_workers=1) as worker:
        found = {c.id: c for c in worker.submit(gateway.search_patients, "Unitm").result(timeout=30)}
    assert found[mmol.id].unit == GlucoseUnit.MMOL_L and found[mgdl.id].unit == GlucoseUnit.MG_DL
    assert found[mmol.id].name.startswith("Unitmmol, ")
