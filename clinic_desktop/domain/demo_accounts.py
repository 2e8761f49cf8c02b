"""The demo clinic's invented staff accounts (light to import: the login window shows them)."""

from __future__ import annotations

DEMO_PASSWORD = "Demo-Clinic-2026"
DEMO_STAFF = (
    ("dr.meyer", "Dr. Anna Meyer", "doctor"),
    ("dr.okafor", "Dr. Chidi Okafor", "doctor"),
    ("dr.haddad", "Dr. Samir Haddad", "doctor"),
    ("dr.lindqvist", "Dr. Elsa Lindqvist", "doctor"),
    ("nurse.lee", "Min-jun Lee", "nurse"),
    ("nurse.adeyemi", "Grace Adeyemi", "nurse"),
    ("reception", "Sofia Rossi", "receptionist"),
)
DEMO_USERS = ("admin",) + tuple(username for username, _name, _role in DEMO_STAFF)
