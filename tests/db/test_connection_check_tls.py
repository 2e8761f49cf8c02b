"""The wizard's connection check against a real server with passwords and TLS (a locally made CA).

Each wrong input gets its own sentence: host, port, database, user, password, TLS refused,
certificate not matching the host name, unknown CA, missing privileges. verify-full with the
right CA file connects, encrypted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, pool, text

from clinic_desktop.config.settings import ConnectionProfile
from clinic_desktop.db.connection_check import check_connection
from clinic_desktop.db.engine import create_app_engine, target_for_profile
from clinic_desktop.db.local_server import LocalCluster, free_port

PASSWORD = "s3rver-Owner-pass"


def _key():  # noqa: ANN202
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key, issuer_name, issuer_key, *, ca: bool, names: list[str] | None = None):  # noqa: ANN001, ANN202
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               # Wide validity: libpq checks it by the real clock, also while the tests travel in time.
               .not_valid_before(now - dt.timedelta(days=3 * 365)).not_valid_after(now + dt.timedelta(days=3 * 365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path: Path, data: bytes, owner: str | None = None) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600 if path.suffix == ".key" else 0o644)
    if owner:
        shutil.chown(path, owner, owner)


@pytest.fixture(scope="module")
def tls_server():
    """A server with TLS (certificate for 'localhost' only) and SCRAM passwords; an unprivileged user."""
    root = Path(tempfile.mkdtemp(prefix="clinic-tls-", dir="/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", extra_settings={"fsync": "off"})
    cluster.ensure_started()
    ca_key, server_key, other_key = _key(), _key(), _key()
    ca = _cert("Clinic Test CA", ca_key, None, None, ca=True)
    server = _cert("localhost", server_key, ca.subject, ca_key, ca=False, names=["localhost"])
    other_ca = _cert("Someone Else's CA", other_key, None, None, ca=True)
    owner = cluster.run_as
    data = cluster.data_dir
    _write(data / "server.crt", server.public_bytes(serialization.Encoding.PEM), owner)
    _write(data / "server.key", server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()), owner)
    _write(root / "ca.crt", ca.public_bytes(serialization.Encoding.PEM))
    _write(root / "other-ca.crt", other_ca.public_bytes(serialization.Encoding.PEM))
    admin = create_engine(cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE owner LOGIN PASSWORD '{PASSWORD}'"))
        conn.execute(text(f"CREATE ROLE visitor LOGIN PASSWORD '{PASSWORD}'"))
        conn.execute(text("CREATE DATABASE clinic OWNER owner"))
        conn.execute(text("CREATE DATABASE plain_only"))
    admin.dispose()
    clinic_db = create_engine(cluster.sqlalchemy_url("clinic"), poolclass=pool.NullPool)
    with clinic_db.begin() as conn:
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    clinic_db.dispose()
    (data / "pg_hba.conf").write_text(
        "hostnossl plain_only all 127.0.0.1/32 scram-sha-256\n"
        "hostssl all all 127.0.0.1/32 scram-sha-256\n"
        "hostssl all all ::1/128 scram-sha-256\n"
        "local all all trust\n")
    cluster.stop()
    cluster.extra_settings.update({"ssl": "on", "password_encryption": "scram-sha-256"})
    cluster.start()
    try:
        yield cluster, root
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def _check(cluster, root, **overrides):  # noqa: ANN001, ANN202
    values = dict(name="t", kind="server", host="localhost", port=cluster.port, database="clinic", user="owner",
                  sslmode="verify-full", sslrootcert=str(root / "ca.crt"))
    password = overrides.pop("password", PASSWORD)
    values.update(overrides)
    return check_connection(target_for_profile(ConnectionProfile(**values), password))


def test_verify_full_with_the_right_ca_connects_encrypted(tls_server):
    cluster, root = tls_server
    report = _check(cluster, root)
    assert report.ok, report.text()
    assert "encrypted (TLS)" in report.text() and report.can_migrate
    profile = ConnectionProfile(name="t", kind="server", host="localhost", port=cluster.port, database="clinic",
                                user="owner", sslmode="verify-full", sslrootcert=str(root / "ca.crt"))
    engine = create_app_engine(target_for_profile(profile, PASSWORD))
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) is True
    finally:
        engine.dispose()


@pytest.mark.parametrize("overrides,expected", [
    ({"host": "no-such-host.invalid"}, "The server name “no-such-host.invalid” cannot be found"),
    ({"port": 1}, "Nothing accepts connections on localhost port 1"),
    ({"password": "wrong-password"}, "The server refused the password for user “owner”"),
    ({"user": "nobody"}, "refused the password for user “nobody”"),
    ({"database": "no_such_db"}, "The server has no database named “no_such_db”"),
    ({"host": "127.0.0.1"}, "not issued for the name “127.0.0.1”"),
    ({"sslrootcert": "OTHER"}, "could not be verified with the CA file"),
    ({"database": "plain_only", "sslmode": "disable"}, None),
])
def test_each_wrong_input_gets_its_own_sentence(tls_server, overrides, expected):
    cluster, root = tls_server
    if overrides.get("sslrootcert") == "OTHER":
        overrides["sslrootcert"] = str(root / "other-ca.crt")
    report = _check(cluster, root, **overrides)
    if expected is None:  # a plain connection where the server allows one: works, but not encrypted
        assert "(not encrypted)" in report.text()
        return
    assert not report.ok
    assert expected in report.steps[-1].message, report.text()
    assert PASSWORD not in report.text() and "Traceback" not in report.text()


def test_tls_required_but_refused_by_the_server(tls_server):
    cluster, root = tls_server
    cluster_ssl = dict(cluster.extra_settings)
    cluster.stop()
    cluster.extra_settings["ssl"] = "off"
    cluster.start()
    try:
        report = _check(cluster, root, sslmode="require")
        assert not report.ok
        assert "does not offer encrypted (TLS) connections" in report.steps[-1].message, report.text()
    finally:
        cluster.stop()
        cluster.extra_settings.update(cluster_ssl)
        cluster.start()


def test_a_user_without_create_privilege_is_told(tls_server):
    cluster, root = tls_server
    report = _check(cluster, root, user="visitor")
    assert not report.ok
    assert "may not create tables" in report.steps[-1].message
