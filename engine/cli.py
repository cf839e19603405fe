"""`python -m engine ...`: validate, simulate, schema, and (with the API) serve."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from engine.core.loader import DefinitionError


def _validate(args: argparse.Namespace) -> int:
    from engine.core.validation import validate_file

    failed = False
    for path in args.files:
        definition, problems = validate_file(path)
        if problems or definition is None:
            failed = True
            for problem in problems:
                print(str(problem), file=sys.stderr)
            print(f"{path}: {len(problems)} fel", file=sys.stderr)
        else:
            print(f"{path}: OK ({definition.key}, {len(definition.phases)} faser)")
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    from engine.core.schema import definition_schema

    print(json.dumps(definition_schema(), ensure_ascii=False, indent=2))
    return 0


def _run(args: argparse.Namespace) -> int:
    """Start the HTTP service (api/serve.py): migrate, load definitions, demo data, web processes."""
    from api.serve import serve

    return serve(
        host=args.host,
        port=args.port,
        demo_data=not args.no_demo,
        workers=args.workers,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )


def _token(args: argparse.Namespace) -> int:
    """A bearer token for a demo user (embedded keys only), e.g. the auditor's or the förbund admin's."""
    from api.demo import demo_token
    from engine.settings import get_settings

    try:
        print(demo_token(get_settings(), args.user_id))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="insats: FINSAM-processmotor")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validera processdefinitioner (YAML)")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=_validate)

    p = sub.add_parser("schema", help="skriv ut JSON Schema för processdefinitioner")
    p.set_defaults(func=_schema)

    from engine.simulate_cli import add_simulate

    add_simulate(sub)

    from engine.diagram_cli import add_diagram

    add_diagram(sub)

    from engine.db_cli import add_db_commands

    add_db_commands(sub)

    from engine.worker_cli import add_worker_command

    add_worker_command(sub)

    from engine.flows_cli import add_flow_commands

    add_flow_commands(sub)

    p = sub.add_parser("run", help="starta tjänsten: migrera, läs in definitioner, demodata, tokens, webbprocesser")
    p.add_argument("--host", default=None, help="standard: från BASE_URL (127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="standard: PORT, annars från BASE_URL (8000)")
    p.add_argument("--no-demo", action="store_true", help="skapa ingen demodata")
    p.add_argument("--workers", type=int, default=None, help="webbprocesser (standard: WEB_WORKERS, 1)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--no-access-log", action="store_true", help="ingen rad per anrop")
    p.set_defaults(func=_run)

    p = sub.add_parser("token", help="skriv ut en bearer-token för en demoanvändare (inbäddade nycklar)")
    p.add_argument("user_id", help="t.ex. ida.auditor, forbund.admin, kommun-system")
    p.set_defaults(func=_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except DefinitionError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
