"""The built wheel carries everything an installed app needs: every package, the migrations, the icons."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_of_the_source_tree_is_listed():
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "clinic_desktop").rglob("__init__.py")}
    listed = set(_setuptools()["packages"])
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"


def test_the_wheel_ships_the_migrations_and_resources_and_the_app_finds_them(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("clinic_desktop-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    revisions = sorted(p.name for p in (REPO / "migrations" / "versions").glob("*.py"))
    assert {f"clinic_desktop/migrations/versions/{r}" for r in revisions} <= names
    assert {"clinic_desktop/migrations/env.py", "clinic_desktop/migrations/script.py.mako",
            "clinic_desktop/resources/icons/clinic-desktop.svg", "clinic_desktop/py.typed"} <= names
    # The installed layout, not the repository: the app looks inside its package first.
    probe = ("from clinic_desktop.db.migrate import migrations_dir, head_revision; from clinic_desktop.app import "
             "resources_dir; print(migrations_dir()); print(resources_dir()); print(head_revision())")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
                          + probe], check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert out[0] == str(tmp_path / "site" / "clinic_desktop" / "migrations")
    assert out[1] == str(tmp_path / "site" / "clinic_desktop" / "resources")
    assert out[2] == revisions[-1].split("_", 1)[0]
