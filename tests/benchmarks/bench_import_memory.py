"""Peak memory of reading a CGM export, against the file's size (#12 item 10).

Run: `nice -n 10 .venv/bin/python tests/benchmarks/bench_import_memory.py [--mb 150]`
Each case runs in its own subprocess (a fresh high-water mark): the reader opens the file and goes
through every record as the import preview does. Printed per case: file size, outcome, the
process's peak RSS (resource.getrusage), its growth over the RSS after imports, and growth / size.
Cases: a line of a million columns, a one-line file of --mb MB, and a normal Dexcom export of --mb MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HEADER = ("Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,"
          "Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),"
          "Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID\n")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def write_wide_line(path: Path, columns: int) -> None:
    """The header, then one glucose row padded to `columns` fields."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER + "1,2025-01-01T08:00:00,EGV,,,,G7,120,,,,,0,XYZ789" + ",1" * (columns - 14) + "\n")


def write_one_line(path: Path, megabytes: int) -> None:
    """A single line of `megabytes` MB (digits and commas), no newline anywhere."""
    block = ("1234567," * 8192).encode()
    with open(path, "wb") as out:
        for _ in range(megabytes * 2**20 // len(block)):
            out.write(block)


def write_normal(path: Path, megabytes: int) -> None:
    """A Dexcom Clarity export with 5-minute readings up to `megabytes` MB."""
    start, step, i, size = datetime(2000, 1, 1), timedelta(minutes=5), 0, 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        while size < megabytes * 2**20:
            lines = []
            for _ in range(10_000):
                i += 1
                lines.append(f"{i},{start + step * i:%Y-%m-%dT%H:%M:%S},EGV,,,,G7,{80 + i % 150},,,,,{i * 300},XYZ789\n")
            chunk = "".join(lines)
            out.write(chunk)
            size += len(chunk)


def measure(path: str) -> None:
    """Child process: read every record of `path` the way the preview does, print one result line."""
    from clinic_desktop.imports import ImportFormatError, ParsedReading, open_export

    baseline = _rss_mb()
    started = time.perf_counter()
    try:
        accepted = rejected = 0
        sample = []
        for rec in open_export(path, "dexcom", "Europe/Berlin").records():
            if isinstance(rec, ParsedReading):
                accepted += 1
                if len(sample) < 200:
                    sample.append(rec)
            else:
                rejected += 1
        outcome = f"read: {accepted:,} readings, {rejected:,} rejected lines"
    except ImportFormatError as exc:
        outcome = f"refused: {str(exc)[:70]}"
    print(f"{baseline:.1f}\t{_rss_mb():.1f}\t{time.perf_counter() - started:.1f}\t{outcome}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    cases = [("1 M-column line", lambda p: write_wide_line(p, 1_000_000)),
             (f"{args.mb} MB one-line file", lambda p: write_one_line(p, args.mb)),
             (f"normal {args.mb} MB export", lambda p: write_normal(p, args.mb))]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'case':<24} {'file MB':>8} {'peak RSS MB':>12} {'growth MB':>10} {'growth/size':>12} {'peak/size':>10} "
          f"{'s':>6}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for name, write in cases:
            path = Path(folder) / "case.csv"
            write(path)
            size_mb = path.stat().st_size / 2**20
            out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                                 check=True).stdout.strip()
            baseline, peak, seconds, outcome = out.split("\t")
            growth = float(peak) - float(baseline)
            print(f"{name:<24} {size_mb:>8.1f} {float(peak):>12.1f} {growth:>10.1f} {growth / size_mb:>12.2f} "
                  f"{float(peak) / size_mb:>10.2f} {float(seconds):>6.1f}  {outcome}", flush=True)
            path.unlink()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
