"""Benchmark: the patient registry at a million patients.

Bulk-loads a generated clinic with COPY (surnames Zipf-distributed over ~300 common real names
and 40,000 generated ones, as in a real population), then measures through PatientService, as
the app calls it (one unit of work per call, real pool):
- search p50/p95 per kind: name prefix, misspelt name, MRN, phone (national formatting), DOB;
- the list's first page and a deep keyset page (the page at row N/2);
and, in the same run, the baseline: the same searches as a naive `ILIKE '%…%'` scan without the
search indexes, and the deep page with OFFSET. With `--rss`, it scrolls 100,000 rows through the
Qt table model and prints the process RSS before and after (the model keeps a bounded window).

Run: `nice -n 10 .venv/bin/python tests/benchmarks/bench_patients.py [--scale 0.1] [--rss]`
(starts a throwaway PostgreSQL like the tests do, or uses CLINIC_TEST_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import string
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, pool, text  # noqa: E402

from clinic_desktop.config.settings import PoolSettings  # noqa: E402
from clinic_desktop.db.database import Database  # noqa: E402
from clinic_desktop.db.engine import ConnectTarget, create_app_engine  # noqa: E402
from clinic_desktop.db.migrate import upgrade_to_head  # noqa: E402
from clinic_desktop.services.patient_dto import PatientSort  # noqa: E402
from clinic_desktop.services.patient_service import PatientService  # noqa: E402
from tests.conftest import create_clinic_with_staff  # noqa: E402
from tests.support import start_test_server, stop_test_server  # noqa: E402

COMMON = """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter
Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier
Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß
Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson
Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker
Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Yılmaz Kaya Demir Şahin Çelik Yıldız Öztürk Aydın Özdemir Arslan Doğan Kılıç Dubois Durand Lefèbvre
Moreau Laurent Simon Michel Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine
Rousseau Vincent Müller-Lüdenscheidt Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno
Gallo Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Kowalski Nowak Wiśniewski Wójcik Kowalczyk
Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski O'Connor O'Brien Murphy Kelly Sullivan Walsh Byrne
Ryan Novák Svoboda Dvořák Černý Procházka Kučera Veselý Horák Jensen Nielsen Hansen Pedersen Andersen Larsen
Sørensen Rasmussen Jørgensen Petersen Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson
Svensson Gustafsson Pettersson García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín
Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos
Gil Ramírez Serrano Blanco Molina""".split()
GIVEN = """Anna Maria Emma Sophie Mia Hannah Lena Lea Laura Lisa Julia Sarah Marie Katharina Johanna Clara Paula
Elena Sofia Olivia Amelia Isla Ava Emily Isabella Charlotte Grace Chloé Léa Manon Camille Zoë Inès Jürgen Lukas
Leon Paul Jonas Elias Finn Noah Ben Luis Felix Maximilian Jakob David Tim Jan Niklas Tobias Moritz Oliver George
Harry Jack Jacob Charlie Thomas James William Daniel Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Ayşe Fatma
Emine Hatice Zeynep Élodie Hélène François José Jesús María Lucía Martín Hugo Álvaro Łukasz Paweł Michał Piotr
Agnieszka Małgorzata Søren Åsa Björn Siobhán Seán Niamh Aoife Pádraig Giulia Francesca Alessandro Matteo""".split()
SYLLABLES = ["ba", "ber", "bra", "chen", "dorf", "ek", "el", "en", "feld", "gar", "hau", "heim", "ka", "ki", "kow",
             "la", "lin", "man", "mar", "ner", "ni", "ov", "pol", "ra", "ri", "ro", "sen", "ski", "stein", "ta",
             "ter", "to", "vic", "wal", "wi", "zel", "ja", "mo", "ne", "qu", "son", "berg", "ha", "dre", "lo"]
PAGE = 200


def surnames(rng: random.Random, n_generated: int = 40_000) -> tuple[list[str], list[float]]:
    generated = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
                 for _ in range(n_generated)}
    names = COMMON + sorted(generated)
    # Zipf over the common names (~35% of people), a flat tail over the generated ones.
    weights = [0.35 / (i + 1) / sum(1 / (k + 1) for k in range(len(COMMON))) for i in range(len(COMMON))]
    weights += [0.65 / len(generated)] * len(generated)
    return names, weights


def bulk_load(db: Database, clinic_id: uuid.UUID, doctor_id: uuid.UUID, n: int, rng: random.Random) -> float:
    """COPY n patients (search indexes dropped during the load and rebuilt after, as for any bulk load)."""
    names, weights = surnames(rng)
    families = rng.choices(names, weights, k=n)
    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'patient' "
                    "AND indexname NOT IN ('pk_patient', 'uq_patient_clinic_id_mrn')")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        types = ["type_1", "type_2", "type_2", "type_2", "gestational", "lada", ""]
        with cur.copy("COPY patient (clinic_id, mrn, given_name, family_name, date_of_birth, sex, phone_e164, "
                      "diabetes_type, responsible_doctor_id, last_hba1c, last_visit_on) FROM STDIN") as copy:
            buf = io.StringIO()
            for i in range(n):
                dob = date(1930, 1, 1) + timedelta(days=rng.randrange(33_000))
                visit = date(2026, 11, 1) - timedelta(days=rng.randrange(900)) if rng.random() < 0.8 else None
                row = (str(clinic_id), f"M{i:08d}", rng.choice(GIVEN), families[i], dob.isoformat(),
                       rng.choice(("female", "male")), f"+4930{rng.randrange(10**7, 10**8)}",
                       rng.choice(types) or "\\N", str(doctor_id) if i % 3 == 0 else "\\N",
                       f"{rng.uniform(5, 12):.1f}", visit.isoformat() if visit else "\\N")
                buf.write("\t".join(row) + "\n")
                if i % 50_000 == 49_999:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        load_s = time.perf_counter() - t0
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("ANALYZE patient")
        cur.execute("ANALYZE patient_name_key")  # filled by the patient triggers during the COPY
        raw.commit()
    finally:
        raw.close()
    print(f"loaded {n:,} patients in {load_s:.1f} s; indexes rebuilt, total {time.perf_counter() - t0:.1f} s")
    return time.perf_counter() - t0


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: swap two inner letters, drop one, or double one."""
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def sample_queries(db: Database, clinic_id: uuid.UUID, k: int, rng: random.Random) -> dict[str, list[str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT family_name, given_name, mrn, phone_e164, date_of_birth FROM patient "
                                 "WHERE clinic_id = :c ORDER BY random() LIMIT :k"), {"c": clinic_id, "k": k}).all()
    longer = [r for r in rows if len(r.family_name) >= 6] or rows
    MISSPELT_TARGETS[:] = [f"{r.family_name}, {r.given_name}" for r in longer][:k]
    return {
        "name prefix": [r.family_name[: rng.randint(3, 5)] for r in rows],
        "misspelt name": [typo(r.family_name, rng) + " " + r.given_name for r in longer][:k],
        "MRN": [r.mrn for r in rows],
        "phone": ["0" + r.phone_e164[3:5] + " " + r.phone_e164[5:] for r in rows],  # national: 030 1234567
        "date of birth": [r.date_of_birth.strftime("%d.%m.%Y") for r in rows],
    }


MISSPELT_TARGETS: list[str] = []  # the intended "family, given" of each misspelt query, in order


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def time_calls(fn, args_list) -> list[float]:  # noqa: ANN001
    out = []
    for a in args_list:
        t0 = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - t0) * 1000)
    return out


NAIVE = {
    "name prefix": "(family_name || ' ' || given_name) ILIKE :p",
    "misspelt name": "(family_name || ' ' || given_name) ILIKE :p",
    "MRN": "mrn ILIKE :p",
    "phone": "phone_e164 ILIKE :p",
    "date of birth": "to_char(date_of_birth, 'DD.MM.YYYY') ILIKE :p",
}


def naive_search(db: Database, clinic_id: uuid.UUID, kind: str, q: str) -> None:
    """The baseline: a plain ILIKE scan, the way a first version would search (no indexes)."""
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_bitmapscan = off"))  # keep it honest: no trigram index help
        conn.execute(text(f"SELECT id FROM patient WHERE clinic_id = :c AND {NAIVE[kind]} LIMIT 50"),
                     {"c": clinic_id, "p": f"%{q}%"}).all()
        conn.execute(text("RESET enable_bitmapscan"))


def offset_page(db: Database, clinic_id: uuid.UUID, offset: int) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT id, mrn, family_name, given_name FROM patient WHERE clinic_id = :c "
                          "AND deleted_at IS NULL ORDER BY search_name, id OFFSET :o LIMIT :l"),
                     {"c": clinic_id, "o": offset, "l": PAGE}).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 patients (default 1.0)")
    parser.add_argument("--queries", type=int, default=60, help="queries per search kind")
    parser.add_argument("--baseline-queries", type=int, default=8)
    parser.add_argument("--rss", action="store_true", help="also scroll 100,000 rows through the Qt model")
    parser.add_argument("--rss-only", action="store_true", help="skip the latency table")
    args = parser.parse_args()
    n = int(1_000_000 * args.scale)
    rng = random.Random(20261123)
    server = start_test_server()
    name = server.unique_name("bench_patients")
    try:
        url = server.create_database(name)
        engine = create_engine(url, poolclass=pool.NullPool)
        upgrade_to_head(engine)
        engine.dispose()
        target = ConnectTarget(url, None, PoolSettings(size=4, max_overflow=2, statement_timeout_ms=600_000))
        db = Database(create_app_engine(target, application_name="bench-patients"))
        run(db, n, args, rng)
        db.dispose()
    finally:
        server.drop_database(name)
        stop_test_server(server)


def run(db: Database, n: int, args: argparse.Namespace, rng: random.Random) -> None:
    clinic = create_clinic_with_staff(db, name="Bench")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE clinic SET locale = 'de_DE' WHERE id = :c"), {"c": clinic.clinic_id})
    bulk_load(db, clinic.clinic_id, clinic.doctor.doctor_id, n, rng)
    service = PatientService(db)
    actor = clinic.receptionist
    if args.rss_only:
        from tests.benchmarks.bench_patients_rss import scroll_rss

        scroll_rss(service, clinic.doctor, rows=min(100_000, n))
        return
    queries = sample_queries(db, clinic.clinic_id, args.queries, rng)
    service.search(actor, text="warm up")
    print(f"\n{n:,} patients — service-side latency in ms (p50 / p95), baseline p50 in the same run")
    print(f"{'operation':<22} {'p50':>8} {'p95':>8} {'hits':>6} {'baseline p50':>13} {'ratio':>8}")
    results: dict[str, list] = {}
    for kind, qs in queries.items():
        hits = []
        answers = results.setdefault(kind, [])
        samples = time_calls(lambda q: (answers.append(found := service.search(actor, text=q)),
                                        hits.append(len(found))), qs)
        p50, p95 = percentiles(samples)
        base = time_calls(lambda q: naive_search(db, clinic.clinic_id, kind, q), qs[: args.baseline_queries])
        b50 = statistics.median(base)
        print(f"{'search ' + kind:<22} {p50:>8.1f} {p95:>8.1f} {statistics.median(hits):>6.0f} {b50:>13.1f} "
              f"{b50 / p50:>7.0f}×")
    names = [[h.display_name for h in found] for found in results["misspelt name"]]
    top = sum(1 for got, wanted in zip(names, MISSPELT_TARGETS) if got and got[0] == wanted)
    anywhere = sum(1 for got, wanted in zip(names, MISSPELT_TARGETS) if wanted in got)
    print(f"{'  misspelt: intended name':<22} first in {top}/{len(names)}, among the hits in {anywhere}/{len(names)}")
    first = time_calls(lambda _: service.list_page(actor, limit=PAGE), range(20))
    p50, p95 = percentiles(first)
    base = time_calls(lambda _: offset_page(db, clinic.clinic_id, 0), range(5))
    print(f"{'list first page':<22} {p50:>8.1f} {p95:>8.1f} {PAGE:>6} {statistics.median(base):>13.1f} "
          f"{statistics.median(base) / p50:>7.1f}×")
    middle = n // 2
    with db.engine.connect() as conn:
        key = conn.execute(text("SELECT search_name, id FROM patient WHERE clinic_id = :c AND deleted_at IS NULL "
                                "ORDER BY search_name, id OFFSET :o LIMIT 1"), {"c": clinic.clinic_id, "o": middle}).one()
    deep = time_calls(lambda _: service.list_page(actor, after=(key.search_name, key.id), limit=PAGE), range(20))
    p50, p95 = percentiles(deep)
    base = time_calls(lambda _: offset_page(db, clinic.clinic_id, middle), range(5))
    print(f"{'list page at row ' + format(middle, ','):<22} {p50:>8.1f} {p95:>8.1f} {PAGE:>6} "
          f"{statistics.median(base):>13.1f} {statistics.median(base) / p50:>7.0f}×  (baseline: OFFSET)")
    for sort in (PatientSort.AGE, PatientSort.LAST_VISIT):
        page = service.list_page(actor, limit=PAGE, sort=sort)
        t = time_calls(lambda _: service.list_page(actor, after=page.rows[-1].sort_key, limit=PAGE, sort=sort),
                       range(10))
        print(f"{'list by ' + sort.value + ' page 2':<22} {percentiles(t)[0]:>8.1f} {percentiles(t)[1]:>8.1f}")
    if args.rss:
        from tests.benchmarks.bench_patients_rss import scroll_rss

        scroll_rss(service, clinic.doctor, rows=min(100_000, n))


if __name__ == "__main__":
    main()
    # PySide 6.12 aborts in the interpreter's final garbage collection after Qt work (see
    # tests/conftest.py); every figure is printed by now.
    sys.stdout.flush()
    os._exit(0)
