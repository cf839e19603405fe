"""`python -m engine db upgrade|current`: the database schema, through Alembic."""

from __future__ import annotations

import argparse
from typing import Any


def add_db_commands(sub: Any) -> None:
    p = sub.add_parser("db", help="databasen: migrera (upgrade) eller visa version (current)")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="migrera databasen till senaste versionen")
    up.add_argument("--url", default=None, help="databas-URL (förval: DATABASE_URL)")
    up.add_argument("--revision", default="heads")
    up.set_defaults(func=_upgrade)
    cur = dbsub.add_parser("current", help="visa databasens migreringsversion")
    cur.add_argument("--url", default=None, help="databas-URL (förval: DATABASE_URL)")
    cur.set_defaults(func=_current)


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    from engine.settings import get_settings

    return get_settings().database_url


def _upgrade(args: argparse.Namespace) -> int:
    from engine.adapters.store.migrate import current, upgrade

    url = _url(args)
    upgrade(url, args.revision)
    print(f"Databasen är migrerad till {current(url)}")
    return 0


def _current(args: argparse.Namespace) -> int:
    from engine.adapters.store.migrate import current, head_revision

    rev = current(_url(args))
    head = head_revision()
    state = "senaste" if rev == head else f"inte senaste ({head}): kör `python -m engine db upgrade`"
    print(f"{rev or 'ingen'} ({state})")
    return 0
