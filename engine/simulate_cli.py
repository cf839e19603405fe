"""The `simulate` command: a dated agenda per party for a case following a chosen path."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from engine.core.loader import load
from engine.core.simulation import SimulationError, SimulationOptions, agenda, simulate


def _key_int(text: str) -> tuple[str, int]:
    key, _, n = text.partition("=")
    return key, int(n or "1")


def add_simulate(sub: Any) -> None:
    p = sub.add_parser("simulate", help="simulera ett ärende längs en väg och visa datum per part")
    p.add_argument("file")
    p.add_argument("--start", type=date.fromisoformat, required=True, help="startdatum ÅÅÅÅ-MM-DD")
    p.add_argument("--path", default="", help="faser i ordning, kommaseparerade (förval: rakaste vägen)")
    p.add_argument("--outcome", default="förvärvsarbete")
    p.add_argument("--abort-in", default=None, help="avbryt i denna fas")
    p.add_argument("--anonymous", action="store_true")
    p.add_argument("--sick-period-start", type=date.fromisoformat, default=None)
    p.add_argument("--extend", action="append", default=[], type=_key_int, help="FAS=ANTAL förlängningar")
    p.add_argument("--late", action="append", default=[], type=_key_int, help="UPPGIFT=DAGAR försenad")
    p.add_argument("--no-contact", action="store_true", help="ingen kontakt med deltagaren registreras")
    p.set_defaults(func=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    definition = load(args.file)
    opts = SimulationOptions(
        start=args.start,
        path=tuple(p.strip() for p in args.path.split(",") if p.strip()),
        outcome=args.outcome,
        abort_in=args.abort_in,
        anonymous=args.anonymous,
        sick_period_start=args.sick_period_start,
        extensions=dict(args.extend),
        late=dict(args.late),
        contact_every=None if args.no_contact else 7,
    )
    console = Console(width=160)
    try:
        result = simulate(definition, opts)
    except SimulationError as exc:
        console.print(f"[red]Simuleringen misslyckades ({exc.code}): {exc}[/red]")
        return 1
    table = Table(title=f"{definition.name} ({definition.key}), start {args.start.isoformat()}")
    table.add_column("Datum", no_wrap=True)
    table.add_column("Vecka", justify="right")
    table.add_column("Vem")
    table.add_column("Vad")
    for line in agenda(definition, result):
        table.add_row(line.day.isoformat(), str(line.day.isocalendar().week), line.who, line.what)
    console.print(table)
    console.print(f"{result.commands} kommandon, avslutat {result.state.closed_on}")
    return 0


def main_simulation() -> int:
    """The FINSAM definition walked straight through, with a sick period and one extension."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "definitions" / "finsam-insats.yaml"
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_simulate(sub)
    args = parser.parse_args(
        ["simulate", str(path), "--start", "2026-06-15", "--sick-period-start", "2026-05-01"]
        + ["--extend", "arbetstraning=1"]
    )
    result: int = args.func(args)
    return result
