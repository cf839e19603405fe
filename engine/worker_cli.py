"""`python -m engine worker`: sweep due timers and dispatch notifications (APScheduler as trigger)."""

from __future__ import annotations

import argparse
import logging
from typing import Any


def add_worker_command(sub: Any) -> None:
    p = sub.add_parser("worker", help="kör timrar och utskick (flera workers kan köras mot PostgreSQL)")
    p.add_argument("--once", action="store_true", help="en runda och sedan avsluta")
    p.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    from engine.adapters.scheduler import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_worker(once=bool(args.once))
