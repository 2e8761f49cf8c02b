"""Command line: `clinic-desktop` (the app) and `clinic-desktop db upgrade|current|check` (administration).

    clinic-desktop                      start the app (setup wizard on first launch)
    clinic-desktop --demo               start on a local demo database filled with sample patients
    clinic-desktop --profile NAME       use a saved connection profile
    clinic-desktop db upgrade           migrate the database named by CLINIC_DATABASE_URL (or the profile)
    clinic-desktop db current           print the revision and whether TimescaleDB features are active
    clinic-desktop db check             diagnose the connection step by step

Ctrl+C (SIGINT) and SIGTERM quit the app as File → Quit does: windows close, the local database
stops, and the exit status is 0, as for any orderly quit.
"""

from __future__ import annotations

import argparse
import logging
import sys

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic-desktop",
        description="Clinic Desktop: patients, appointments, glucose review and medications for a diabetes clinic.",
        epilog="Without a command the app starts. With no profile saved yet, the setup wizard opens; "
        "--demo starts a private demo database on this computer instead.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--profile", metavar="NAME", default=None,
                        help="connection profile to use (default: the last one used, or 'default')")
    parser.add_argument("--demo", action="store_true",
                        help="use the local demo profile, filled with sample data on first start")
    parser.add_argument("--verbose", action="store_true", help="log more detail (never patient data)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    db = commands.add_parser("db", help="database administration (migrations, status, diagnosis)")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="migrate the database to this version (CLINIC_DATABASE_URL or --profile)")
    db_commands.add_parser("current", help="print the database revision and TimescaleDB status")
    db_commands.add_parser("check", help="diagnose the connection step by step")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "db":
        from .cli_db import run_db_command

        return run_db_command(args)
    from .app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
