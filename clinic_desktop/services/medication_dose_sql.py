"""The dose schedule expanded inside PostgreSQL: the nurses' paged due list and adherence in bulk.

The pure-Python ledger (medication_ledger) is the definition of what is scheduled; this module
says the same thing in SQL so a clinic-wide day (30,000 doses) is expanded, joined to the log,
counted and paged on the server instead of being shipped to Python. A test holds the two equal
over every frequency, pauses, a mid-day dose change, start/end days and both DST change days.

How the SQL mirrors the ledger:
- times of a day: unnest of `scheduled_times`, or every N hours from the first time (`time +
  interval` wraps round midnight like `expand_interval`); as-needed has none — its recorded doses
  are entries of their own;
- a wall-clock time becomes the day's start plus the time on a day without a clock change, and
  `(day + time) AT TIME ZONE zone` on a change day. PostgreSQL takes a skipped time (spring
  forward) at the offset before the change, as the schedule does, but a twice-occurring time
  (fall back) at its second occurrence; the schedule takes the first, so those times move back by
  the change (`clock_changes` finds the changes in Python; most ranges have none). A skipped time
  whose instant is also another time of the same prescription counts once;
- start/end dates compare as local days (the same as comparing with local midnights); a
  replacement's `effective_at` and an end's `ended_at` compare as instants; a pause covers
  [paused_at, resumed_at).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..domain.enums import DoseStatus
from ..domain.medication_schedule import (
    EARLY_WINDOW,
    clock_changes,
    dose_instant,
    local_midnight,
)
from .medication_dto import (
    AdherenceFigure,
    DoseCounts,
    DoseCursor,
    DoseDTO,
    DoseFilter,
    DosePage,
    DueWindow,
)
from .medication_queries import clinic_settings

#: Wall-clock bounds of the parts of the day a nurse filters by.
DAY_PARTS = {DueWindow.MORNING: (time(0), time(12)), DueWindow.AFTERNOON: (time(12), time(18)),
             DueWindow.EVENING: (time(18), None)}

_TIMES = """CASE WHEN m.frequency = 'every_n_hours' AND m.every_n_hours <> 0 AND cardinality(m.scheduled_times) > 0
             THEN ARRAY(SELECT m.scheduled_times[1] + make_interval(hours => k * m.every_n_hours)
                        FROM generate_series(0, 24 / m.every_n_hours - 1) k)
             ELSE m.scheduled_times END"""
_SUMMARY = "m.drug_name || COALESCE(' ' || NULLIF(m.strength, ''), '') || COALESCE(', ' || NULLIF(m.dose, ''), '')"
#: The list's order: time, then patient (family, given name), then drug: plain columns, not the texts shown,
#: compared byte-wise (COLLATE "C": code point order, as Python sorts; a locale's collation made the sort of
#: 10,000 names at 08:00 several times slower and, except for "C", turns off PostgreSQL's abbreviated keys).
_ORDER = ("at", 'family_name COLLATE "C"', 'given_name COLLATE "C"', 'drug_name COLLATE "C"', "medication_id")


@dataclass
class _Range:
    """The local days of one read and the SQL parameters they share."""

    zone: ZoneInfo
    first_day: date
    last_day: date
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.first_start = local_midnight(self.first_day, self.zone)
        self.last_end = local_midnight(self.last_day + timedelta(days=1), self.zone)
        self.changes = clock_changes(self.zone, self.first_day, self.last_day)
        self.days = [self.first_day + timedelta(days=k) for k in range((self.last_day - self.first_day).days + 1)]
        touched = {d for c in self.changes for d in (c.starts.date(), (c.ends - timedelta(microseconds=1)).date())}
        self.shifted = [day in touched for day in self.days]  # a clock change on the wall clock of that day
        self.params.update(zone=self.zone.key, first_day=self.first_day, last_day=self.last_day,
                           first_start=self.first_start, last_end=self.last_end)


def _instant_sql(r: _Range, wall: str, day_start: str, tod: str, shifted: str | None) -> str:
    """SQL for the UTC instant of a wall-clock dose time, as `dose_instant` computes it.

    On a day without a clock change the offset is the same all day, so the instant is the day's
    start plus the time (plain arithmetic: AT TIME ZONE was a quarter of the whole read). On a
    change day: AT TIME ZONE, moved back for twice-occurring times (PostgreSQL takes the second)."""
    exact = f"{wall} AT TIME ZONE :zone"
    overlaps = [c for c in r.changes if c.overlap]
    if overlaps:
        whens = []
        for k, c in enumerate(overlaps):
            r.params.update({f"ov{k}_from": c.starts, f"ov{k}_to": c.ends, f"ov{k}_size": c.size})
            whens.append(f"WHEN {wall} >= :ov{k}_from AND {wall} < :ov{k}_to THEN :ov{k}_size")
        exact = f"({exact} - CASE {' '.join(whens)} ELSE interval '0' END)"
    plain = f"{day_start} + ({tod} - time '00:00')"
    if not any(r.shifted):
        return plain
    if shifted is None:  # one day, and it has a change
        return exact
    return f"CASE WHEN {shifted} THEN {exact} ELSE {plain} END"


def _scheduled_cte(r: _Range, *, patient_ids: list[uuid.UUID] | None, as_needed: bool, text_hit: str = "true") -> str:
    """CTEs ending in `sched(medication_id, patient_id, drug_name, strength, dose, hit, at)`: the ledger's entries of
    the range (with the as-needed doses recorded in the range only when `as_needed`); `hit` is `text_hit`, an
    expression over the prescription `m` (the due list's text filter).

    Shaped for speed (a clinic-wide day is 30,000 rows): one pass over the prescriptions computes
    what is per prescription once (its times, whether it has pauses, an as-needed one's recorded
    doses, the text filter), a set-returning target list (cheaper than a lateral function scan)
    makes one row per time, and the instant is computed once per row. OFFSET 0 fences each level:
    otherwise the planner copies an expression into every place that uses it, or a set-returning
    target list works out the other columns again for every row it returns."""
    single = len(r.days) == 1
    if single:
        day, day_start, shifted, day_columns = "CAST(:first_day AS date)", ":first_start", None, ""
    else:
        day, day_start, shifted, day_columns = "u.day", "u.day_start", "u.shifted", "d.day, d.day_start, d.shifted, "
        r.params.update(days=r.days, day_starts=[local_midnight(d, r.zone) for d in r.days], day_shifted=r.shifted)
    wall = f"({day} + u.tod)"
    at = _instant_sql(r, wall, day_start, "u.tod", shifted)
    gaps = [c for c in r.changes if not c.overlap]
    once = ""
    for k, c in enumerate(gaps):  # a skipped time that lands on another time of the prescription counts once
        r.params.update({f"gap{k}_from": c.starts, f"gap{k}_to": c.ends, f"gap{k}_size": c.size})
        once += (f" AND NOT ({wall} >= :gap{k}_from AND {wall} < :gap{k}_to AND {wall} + :gap{k}_size < {day} + 1"
                 f" AND u.tod + :gap{k}_size = ANY (u.times))")
    gap_filter = f" WHERE u.tod IS NULL OR (true{once})" if once else ""
    if patient_ids is None:  # the clinic-wide list: as the ledger's clinic-wide plan query
        scope = "m.clinic_id = :clinic AND (m.state <> 'discontinued' OR m.ended_at > :first_start)"
    else:
        scope = "m.clinic_id = :clinic AND m.patient_id = ANY(:patients)"
        r.params["patients"] = patient_ids
    kinds = "" if as_needed else "\n          AND m.frequency <> 'as_needed'"
    day_cte, days, first_row = "", "", "true"
    if not single:
        day_cte = ("day AS MATERIALIZED (SELECT * FROM unnest(CAST(:days AS date[]), CAST(:day_starts AS timestamptz[]),"
                   " CAST(:day_shifted AS boolean[])) AS d(day, day_start, shifted)),\n")
        days = "\n        JOIN day d ON d.day >= m.start_date AND (m.end_date IS NULL OR d.day <= m.end_date)"
        first_row = "d.day = greatest(CAST(:first_day AS date), m.start_date)"  # an as-needed one's doses: once
    given = ("" if not as_needed else
             f"""CASE WHEN m.frequency = 'as_needed' AND {first_row} THEN ARRAY(
                 SELECT l.scheduled_at FROM medication_dose_log l WHERE l.medication_id = m.id
                 AND l.scheduled_at >= :first_start AND l.scheduled_at < :last_end) END""")
    return f"""{day_cte}paused AS MATERIALIZED (
  SELECT mp.medication_id, mp.paused_at, mp.resumed_at FROM medication_pause mp
  WHERE mp.clinic_id = :clinic AND mp.paused_at < :last_end AND (mp.resumed_at IS NULL OR mp.resumed_at > :first_start)
),
sched AS (
  SELECT x.id AS medication_id, x.patient_id, x.drug_name, x.strength, x.dose, x.hit, x.at FROM (
    SELECT u.id, u.patient_id, u.drug_name, u.strength, u.dose, u.hit, u.effective_at, u.ended_at, u.prn, u.has_pause,
           {"COALESCE(u.given_at, " + at + ")" if as_needed else at} AS at
    FROM (
      SELECT p.*, unnest(p.times) AS tod{", unnest(p.given) AS given_at" if as_needed else ""} FROM (
        SELECT {day_columns}m.id, m.patient_id, m.drug_name, m.strength, m.dose, {text_hit} AS hit, m.effective_at,
               m.ended_at, m.frequency = 'as_needed' AS prn, m.id IN (SELECT medication_id FROM paused) AS has_pause,
               CASE WHEN m.frequency <> 'as_needed' THEN {_TIMES} END AS times{", " + given + " AS given" if as_needed else ""}
        FROM medication m{days}
        WHERE {scope} AND m.deleted_at IS NULL{kinds}
          AND m.start_date <= :last_day AND (m.end_date IS NULL OR m.end_date >= :first_day)
          AND (m.ended_at IS NULL OR m.ended_at > :first_start) AND (m.effective_at IS NULL OR m.effective_at < :last_end)
        OFFSET 0) p  -- what is per prescription, once per prescription
    ) u{gap_filter}
    OFFSET 0) x
  WHERE x.prn OR ((x.effective_at IS NULL OR x.at >= x.effective_at) AND (x.ended_at IS NULL OR x.at < x.ended_at)
    AND (NOT x.has_pause OR NOT EXISTS (SELECT 1 FROM paused mp WHERE mp.medication_id = x.id AND mp.paused_at <= x.at
                                        AND (mp.resumed_at IS NULL OR x.at < mp.resumed_at))))
)"""


def _log_join(patient_ids: list[uuid.UUID] | None) -> str:
    """The range's log rows, found through the index that fits the scope."""
    scope = "l.clinic_id = :clinic" if patient_ids is None else "l.patient_id = ANY(:patients)"
    return (f"LEFT JOIN medication_dose_log l ON l.medication_id = x.medication_id AND l.scheduled_at = x.at"
            f" AND {scope} AND l.scheduled_at >= :first_start AND l.scheduled_at < :last_end")


def _fast(session: Session) -> None:
    """Plan settings for these reads, for this transaction only.

    A plan for the actual values every time: psycopg prepares a statement after a few runs, and a
    generic plan cannot see how many patients or days are asked for (measured 5x slower). No JIT:
    compiling (set off by unnest's row estimates) costs more than these reads take. Memory for a
    clinic's day in the sort and hash steps: at the default 4 MB it spilled to a temporary file."""
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off;"
                         " SET LOCAL work_mem = '32MB'"))


def scheduled_doses(
    session: Session, clinic_id: uuid.UUID, zone: ZoneInfo, first_day: date, last_day: date,
    *, patient_ids: Iterable[uuid.UUID] | None = None,
) -> list[tuple[uuid.UUID, datetime, uuid.UUID | None]]:
    """(medication_id, scheduled_at, log_id) of every dose on local days first_day..last_day."""
    r = _Range(zone, first_day, last_day, {"clinic": clinic_id})
    ids = None if patient_ids is None else list(patient_ids)
    sql = (f"WITH {_scheduled_cte(r, patient_ids=ids, as_needed=True)}\n"
           f"SELECT x.medication_id, x.at, l.id FROM sched x {_log_join(ids)} ORDER BY x.at, x.medication_id")
    _fast(session)
    return [tuple(row) for row in session.execute(text(sql), r.params)]


def adherence_by_patient(
    session: Session, clinic_id: uuid.UUID, patient_ids: Iterable[uuid.UUID], *, zone: ZoneInfo, grace: timedelta,
    now: datetime, first_day: date, last_day: date,
) -> dict[uuid.UUID, AdherenceFigure]:
    """Overall adherence per patient over the local days given, in one query (as `medication_ledger.adherence`)."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        return {}
    r = _Range(zone, first_day, last_day, {"clinic": clinic_id, "grace": grace, "now": now})
    sql = f"""WITH {_scheduled_cte(r, patient_ids=ids, as_needed=False)}
SELECT x.patient_id,
       count(*) FILTER (WHERE l.status = 'taken') AS taken,
       count(*) FILTER (WHERE l.status = 'taken_late') AS taken_late,
       count(*) FILTER (WHERE l.status = 'missed') AS missed,
       count(*) FILTER (WHERE l.status = 'skipped') AS skipped,
       count(*) FILTER (WHERE (l.id IS NULL AND x.at + :grace <= :now) OR l.status = 'pending') AS not_recorded
FROM sched x {_log_join(ids)}
WHERE l.id IS NOT NULL OR x.at + :grace <= :now
GROUP BY x.patient_id"""
    _fast(session)
    figures = {pid: AdherenceFigure(0, 0, 0, 0, 0, 0) for pid in ids}
    for row in session.execute(text(sql), r.params):
        counts = (row.taken, row.taken_late, row.missed, row.skipped, row.not_recorded)
        figures[row.patient_id] = AdherenceFigure(sum(counts), *counts)
    return figures


def recent_adherence(
    session: Session, clinic_id: uuid.UUID, patient_ids: Iterable[uuid.UUID], *, days: int, now: datetime,
) -> dict[uuid.UUID, AdherenceFigure]:
    """Overall adherence over the last `days` clinic-local days (today so far included), per patient.

    For services that show adherence beside their own figures (patient header, review worklist)
    inside their unit of work; they check first that the actor may see medications."""
    zone, grace = clinic_settings(session, clinic_id)
    now = now.astimezone(UTC)
    today = now.astimezone(zone).date()
    return adherence_by_patient(session, clinic_id, patient_ids, zone=zone, grace=grace, now=now,
                                first_day=today - timedelta(days=days - 1), last_day=today)


def due_page(
    session: Session, clinic_id: uuid.UUID, *, zone: ZoneInfo, grace: timedelta, now: datetime, day: date,
    where: DoseFilter, after: DoseCursor | None, limit: int,
) -> DosePage:
    """One page of the clinic's doses of `day` in (time, patient, drug) order, after `after`.

    The first page (no cursor) also carries the day's counts: total, not recorded, overdue, matching."""
    r = _Range(zone, day, day, {"clinic": clinic_id, "grace": grace, "now": now, "limit": limit + 1})
    if after is not None:
        r.params.update(k_at=after.scheduled_at, k_family=after.family_name, k_given=after.given_name,
                        k_drug=after.drug_name, k_id=after.medication_id)
    sql = _due_page_sql(r, where, _filter_sql(where, r, day, now, grace), first=after is None)
    _fast(session)
    rows = session.execute(text(sql), r.params).all()
    totals = None if after is not None else DoseCounts(*(int(v or 0) for v in rows[0][:4]))
    page = [tuple(row)[4:] for row in rows if row[4] is not None]  # plain tuples: a whole day is 30,000 rows
    more = len(page) > limit
    page = page[:limit]
    cursor = None
    if page and more:
        last = page[-1]
        cursor = DoseCursor(last[4], last[11], last[12], last[13], last[0])
    return DosePage(day, tuple(_dose(row, now, grace) for row in page), cursor, totals)


def _due_page_sql(r: _Range, where: DoseFilter, condition: str, *, first: bool) -> str:
    """The due page's statement. Names are joined only to the doses that can be on the page: those up
    to the time of the `limit`-th matching dose (at 08:00 a clinic may have 10,000 doses, not 30,000)."""
    order = ", ".join(_ORDER)
    keyset = "true" if first else f"({order}) > (:k_at, :k_family, :k_given, :k_drug, :k_id)"
    counts = ("SELECT count(*) AS total, count(*) FILTER (WHERE log_id IS NULL) AS not_recorded,"
              " count(*) FILTER (WHERE log_id IS NULL AND at + :grace <= :now) AS overdue,"
              f" count(*) FILTER (WHERE {condition}) AS matching FROM due" if first else
              "SELECT NULL::bigint AS total, NULL::bigint AS not_recorded, NULL::bigint AS overdue, NULL::bigint")
    return f"""WITH {_needle_cte(where)}{_scheduled_cte(r, patient_ids=None, as_needed=True, text_hit=_text_hit(where))},
due AS MATERIALIZED (SELECT x.*, l.id AS log_id FROM sched x {_log_join(None)}
                     WHERE {"true" if first else "x.at >= :k_at"}),  -- a later page: nothing before it
reach AS (  -- the time by which the page is full (doses at the cursor's own time not counted: an upper bound)
  SELECT at FROM due WHERE {condition} AND {"true" if first else "at > :k_at"} ORDER BY at OFFSET :limit - 1 LIMIT 1
),
page AS (
  SELECT * FROM (
    SELECT d.*, p.family_name, p.given_name
    FROM due d JOIN patient p ON p.id = d.patient_id
    WHERE {"true" if first else "d.at >= :k_at"} AND (d.at <= (SELECT at FROM reach) OR NOT EXISTS (SELECT 1 FROM reach))
  ) n
  WHERE {condition} AND {keyset} ORDER BY {order} LIMIT :limit
)
SELECT c.*,  -- then the columns in the order _dose and the cursor read them
       pg.medication_id, pg.patient_id, pg.family_name || ', ' || pg.given_name AS patient_name,
       {_SUMMARY.replace("m.", "pg.")} AS drug_summary, pg.at,
       l.status, l.taken_at, l.reason, (SELECT s.full_name FROM staff_account s WHERE s.id = l.recorded_by),
       pg.log_id, l.version, pg.family_name, pg.given_name, pg.drug_name
FROM ({counts}) c
LEFT JOIN page pg ON true
LEFT JOIN medication_dose_log l ON l.id = pg.log_id
ORDER BY {", ".join("pg." + column for column in _ORDER)}"""


def _filter_sql(where: DoseFilter, r: _Range, day: date, now: datetime, grace: timedelta) -> str:
    """The nurse's filter as a condition on `due` rows (medication_id, patient_id, at, log_id)."""
    parts = ["true"]
    if where.not_recorded_only:
        parts.append("log_id IS NULL")
    needle = where.text.strip()
    if needle:  # matched once per prescription while the schedule is expanded (_text_hit)
        r.params["needle"] = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts.append("hit")
    if where.window is DueWindow.OVERDUE:
        parts.append("(log_id IS NULL AND at + :grace <= :now)")
    elif where.window is DueWindow.DUE_NOW:
        r.params.update(now_from=now - grace, now_to=now + EARLY_WINDOW)
        parts.append("(at > :now_from AND at <= :now_to)")
    elif where.window in DAY_PARTS:
        start, end = DAY_PARTS[where.window]
        r.params["part_from"] = dose_instant(day, start, r.zone)
        r.params["part_to"] = r.last_end if end is None else dose_instant(day, end, r.zone)
        parts.append("(at >= :part_from AND at < :part_to)")
    return " AND ".join(parts)


def _needle_cte(where: DoseFilter) -> str:
    """The clinic's patients whose name contains the filter text (if there is one)."""
    if not where.text.strip():
        return ""
    return ("needle AS MATERIALIZED (SELECT id FROM patient"
            " WHERE clinic_id = :clinic AND family_name || ', ' || given_name ILIKE :needle),\n")


def _text_hit(where: DoseFilter) -> str:
    """Whether prescription `m` matches the filter text: its patient's name or the drug as shown."""
    if not where.text.strip():
        return "true"
    return f"(m.patient_id IN (SELECT id FROM needle) OR {_SUMMARY} ILIKE :needle)"


def _dose(row: tuple, now: datetime, grace: timedelta) -> DoseDTO:
    """(medication_id, patient_id, patient_name, drug_summary, at, status, taken_at, reason, recorded_by_name,
    log_id, version, …) → DoseDTO."""
    if row[9] is None:
        return DoseDTO(*row[:5], DoseStatus.PENDING, None, None, None, None, None, row[4] + grace <= now)
    return DoseDTO(*row[:5], DoseStatus(row[5]), *row[6:11], False)
