"""Property-based fuzzing at scale: every form and file reader, --examples cases each (default 10,000).

Run: `nice -n 10 .venv/bin/python tests/benchmarks/fuzz_inputs.py [--examples 10000] [--no-server]`
Prints per target the cases run, how many were accepted or rejected, and the time. A failure
prints hypothesis' smallest falsifying example and exits non-zero. The server target registers
patients through the service on a throwaway PostgreSQL and checks that a rejection stores nothing;
another puts bidi, zero-width and control characters into every text field of every form.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz_targets import OUTCOMES, hostile_forms_db, offline_targets, patient_form_db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--no-server", action="store_true", help="skip the target that needs PostgreSQL")
    args = parser.parse_args()
    targets = dict(offline_targets(args.examples))
    server = None
    if not args.no_server:
        from sqlalchemy import text

        from tests.conftest import create_clinic_with_staff
        from tests.support import start_test_server

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from appointment_bench_setup import fresh_database

        server = start_test_server()
        db, _url = fresh_database(server)
        clinic = create_clinic_with_staff(db)

        def count() -> int:
            with db.engine.connect() as conn:
                return conn.scalar(text("SELECT count(*) FROM patient"))

        targets["patient form (server)"] = patient_form_db(args.examples, db, clinic.receptionist, count)
        from tests.services.glucose_helpers import make_patient
        from tests.services.test_fuzz_forms_db import STORED

        def stored() -> int:
            with db.engine.connect() as conn:
                return conn.scalar(text(STORED))

        targets["hostile forms (server)"] = hostile_forms_db(args.examples, db, clinic,
                                                             make_patient(db, clinic.doctor), stored)
    failed = 0
    print(f"{'target':<26} {'cases':>8} {'accepted':>9} {'rejected':>9} {'seconds':>8}  result")
    try:
        for name, check in targets.items():
            started = time.perf_counter()
            try:
                check()
                result = "ok"
            except Exception as exc:  # noqa: BLE001 - report and go on with the next target
                failed += 1
                result = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
            seconds = time.perf_counter() - started
            outcomes = {k[1]: v for k, v in OUTCOMES.items() if k[0] == name}
            accepted = outcomes.get("accepted", 0) + outcomes.get("read", 0)
            rejected = sum(outcomes.values()) - accepted  # refused, rejected, or per form (hostile forms)
            print(f"{name:<26} {accepted + rejected:>8} {accepted:>9} {rejected:>9} {seconds:>8.1f}  {result}", flush=True)
        for (family_of, outcome), n in sorted(OUTCOMES.items()):
            if family_of.endswith(" family"):  # which kinds of bad file were read or refused
                print(f"  {family_of[:-len(' family')]}: {outcome:<24} {n:>8}")
    finally:
        if server is not None:
            from tests.support import stop_test_server

            db.dispose()
            stop_test_server(server)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
