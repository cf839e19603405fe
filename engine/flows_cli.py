"""`python -m engine report|gallring|digest|loggkontroll|flows ...`: the batch flows from the command line.

Without PREFECT_API_URL a flow runs in Prefect's ephemeral mode (a temporary local server in this
process, nothing on the network), with PREFECT_HOME under var/prefect. With PREFECT_API_URL set the
run is recorded on that server. `flows serve` runs the scheduled deployments in this process;
`flows deploy` registers them to a work pool for `prefect worker start`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EPHEMERAL_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def prefect_env() -> None:
    """Before Prefect is imported: a project PREFECT_HOME, no analytics, a patient start-up."""
    os.environ.setdefault("PREFECT_HOME", str(Path("var/prefect").resolve()))
    for key, value in EPHEMERAL_ENV.items():
        os.environ.setdefault(key, value)


def add_flow_commands(sub: Any) -> None:
    p = sub.add_parser("report", help="Uppföljning Finsam för en period: CSV, JSON, diagram (PNG), anonym export")
    p.add_argument(
        "--period", default=None, help="2026T1 (tertial), 2026 (år), 2026-05 (månad), 2026-01-01..2026-03-31"
    )
    p.add_argument("--threshold", type=int, default=None, help="dölj antal under detta (förval 5)")
    p.add_argument("--excel", action="store_true", default=None, help="CSV för svenska Excel (semikolon, BOM)")
    p.add_argument("--out", default=None, help="katalog för filerna (förval REPORTS_DIR, var/reports)")
    p.add_argument("--no-export", action="store_true", help="utan den anonyma deltagarexporten")
    p.set_defaults(func=_report)

    p = sub.add_parser("gallring", help="gallra personuppgifter som passerat gallringsfristen")
    p.add_argument("--dry-run", action="store_true", help="lista bara vad som skulle gallras")
    p.set_defaults(func=_gallring)

    p = sub.add_parser("digest", help="morgonens sammanfattning (försenade och veckans uppgifter) till utkorgen")
    p.add_argument("--any-day", action="store_true", help="kör även på helgdagar")
    p.set_defaults(func=_digest)

    p = sub.add_parser("loggkontroll", help="slumpmässigt, reproducerbart urval ur åtkomstloggen med flaggor")
    p.add_argument("--period", default=None, help="som för report (förval: förra månaden)")
    p.add_argument("--size", type=int, default=None)
    p.add_argument("--seed", type=int, default=None, help="förval: härlett ur perioden")
    p.add_argument("--out", default=None)
    p.set_defaults(func=_loggkontroll)

    p = sub.add_parser(
        "flows", help="Prefect: schemalagda körningar (serve) eller registrering i en work pool (deploy)"
    )
    fsub = p.add_subparsers(dest="flows_command", required=True)
    sp = fsub.add_parser("serve", help="kör de schemalagda flödena i den här processen")
    sp.add_argument("--only", default=None, help="kommaseparerat: report,gallring,digest,loggkontroll")
    sp.add_argument("--no-schedules", action="store_true")
    sp.set_defaults(func=_serve)
    dp = fsub.add_parser("deploy", help="registrera flödena med scheman i en work pool")
    dp.add_argument("--pool", default=None, help="förval FLOWS_WORK_POOL (insats)")
    dp.add_argument("--only", default=None)
    dp.set_defaults(func=_deploy)


def _run_flow(name: str, label: str, **params: Any) -> int:
    prefect_env()
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(f"{label} (Prefect startar lokalt första gången, det tar några sekunder)..."):
        from flows.batch import FLOWS

        result = FLOWS[name](**params)
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


def _report(args: argparse.Namespace) -> int:
    return _run_flow(
        "report", "Uppföljningsrapport", period=args.period, threshold=args.threshold, excel=args.excel,
        out_dir=args.out, export=not args.no_export,
    )  # fmt: skip


def _gallring(args: argparse.Namespace) -> int:
    prefect_env()
    from flows.batch import gallring_flow

    result = gallring_flow(dry_run=bool(args.dry_run), progress=sys.stderr.isatty())
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


def _digest(args: argparse.Namespace) -> int:
    return _run_flow("digest", "Sammanfattning", only_working_days=not args.any_day)


def _loggkontroll(args: argparse.Namespace) -> int:
    return _run_flow(
        "loggkontroll", "Loggkontroll", period=args.period, size=args.size, seed=args.seed, out_dir=args.out
    )


def _names(only: str | None) -> list[str] | None:
    return [x.strip() for x in only.split(",") if x.strip()] if only else None


def _serve(args: argparse.Namespace) -> int:
    prefect_env()
    from flows.deployments import serve

    serve(_names(args.only), schedules=not args.no_schedules)
    return 0


def _deploy(args: argparse.Namespace) -> int:
    prefect_env()
    from engine.settings import get_settings
    from flows.deployments import deploy_to_pool

    ids = deploy_to_pool(args.pool or get_settings().flows_work_pool, _names(args.only))
    print("\n".join(ids))
    return 0
