"""The command line: --version/--help, `db upgrade`, `db current`, `db check`, and plain `alembic upgrade head`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from clinic_desktop import __version__
from clinic_desktop.db.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], url: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    environ.pop("CLINIC_DATABASE_URL", None)
    if url is not None:
        environ["CLINIC_DATABASE_URL"] = url
    return subprocess.run(args, capture_output=True, text=True, env=environ, cwd=REPO, timeout=300)


def _url_text(url) -> str:  # noqa: ANN001 - a str or a SQLAlchemy URL
    return url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL")):
                return None
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def test_version_and_help():
    version = _run([sys.executable, "-m", "clinic_desktop", "--version"])
    assert version.returncode == 0 and version.stdout.strip() == f"clinic-desktop {__version__}"
    helptext = _run([sys.executable, "-m", "clinic_desktop", "--help"])
    assert helptext.returncode == 0
    for option in ("--profile NAME", "--demo", "db"):
        assert option in helptext.stdout


def test_db_upgrade_then_current(empty_database_url):
    url = _url_text(empty_database_url)
    current = _run([sys.executable, "-m", "clinic_desktop", "db", "current"], url)
    assert current.returncode == 0, current.stderr
    assert "revision: none (empty)" in current.stdout
    upgrade = _run([sys.executable, "-m", "clinic_desktop", "db", "upgrade"], url)
    assert upgrade.returncode == 0, upgrade.stderr
    assert _revision(url) == head_revision()
    assert "[0/" in upgrade.stderr  # progress per revision
    current = _run([sys.executable, "-m", "clinic_desktop", "db", "current"], url)
    assert f"revision: {head_revision()} (at head)" in current.stdout
    assert "timescaledb: " in current.stdout


def test_plain_alembic_upgrade_head_from_repo_root(empty_database_url):
    url = _url_text(empty_database_url)
    alembic = Path(sys.executable).with_name("alembic")
    result = _run([str(alembic), "upgrade", "head"], url)
    assert result.returncode == 0, result.stderr
    assert _revision(url) == head_revision()


def test_db_check_explains_a_closed_port():
    url = "postgresql+psycopg://clinic@127.0.0.1:1/clinic"
    result = _run([sys.executable, "-m", "clinic_desktop", "db", "check"], url)
    assert result.returncode == 1
    assert "Nothing accepts connections on 127.0.0.1 port 1" in result.stdout


def test_db_upgrade_reports_an_unreachable_server_in_one_line():
    result = _run([sys.executable, "-m", "clinic_desktop", "db", "upgrade"], "postgresql+psycopg://clinic@127.0.0.1:1/clinic")
    assert result.returncode == 1
    assert result.stderr.startswith("clinic-desktop: ") and "Traceback" not in result.stderr


def test_db_current_on_a_local_profile_does_not_leave_its_server_running():
    import shutil
    import tempfile

    from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
    from clinic_desktop.runtime import local_cluster_for

    root = Path(tempfile.mkdtemp(prefix="clinic-cli-", dir="/tmp"))
    os.chmod(root, 0o755)  # as root the server runs as an unprivileged account that must reach it
    settings = SettingsStore(config_dir=root / "config", data_dir=root / "data")
    profile = ConnectionProfile(name="cli", kind="local", port=5433)
    settings.save_profile(profile)
    cluster = local_cluster_for(profile, settings)
    try:
        result = _run([sys.executable, "-m", "clinic_desktop", "--profile", "cli", "db", "current"],
                      CLINIC_DESKTOP_CONFIG_DIR=str(settings.config_dir), CLINIC_DESKTOP_DATA_DIR=str(settings.data_dir))
        assert result.returncode == 0, result.stderr
        assert "revision: none (empty)" in result.stdout
        assert cluster.is_initialised() and not cluster.is_running()
    finally:
        cluster.stop(mode="immediate")  # only does anything when the command left it running
        shutil.rmtree(root, ignore_errors=True)
