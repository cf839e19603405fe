"""Read benchmark: the lists people work from at 10,000 and 100,000 cases on PostgreSQL.

A template case is built through the API's commands (a named referral, consent for the four
parties, walked to kartläggning: open tasks for every party), then copied by SQL with new ids:
N cases, 10 % active (their tasks open, due days spread around today, some overdue), 90 % closed
(tasks completed), each with a person, one team member per party (in the state and in
case_members) and the tasks assigned to them. People: N / 100 handläggare per party, so one
person has about 100 cases (10 active) at any N. Each size has a database of its own, and the
sizes are measured in alternating rounds (the machine's speed drifts with other work on it).

Measured in-process through the real FastAPI app (Starlette's TestClient: routing, auth, the
service, the store and the access log, no network): p95 of
  - `GET /tasks?assignee=me`            a person's tasks,
  - `GET /tasks`                        a party's tasks (AF's system: party-wide, no need-to-know),
  - `GET /cases?phase=...&status=active` a person's cases with two filters,
at each size. Prints ONE line with both sizes' p95 and the 100k/10k ratio; the EXPLAIN plans of
the three queries go to stderr (or `--plans FILE`), with a check that no list scans `tasks` or
`cases` sequentially. Goal: p95 < 50 ms and no slower at 100,000 than at 10,000.

    .venv/bin/python bench/read_bench.py [--sizes 10000,100000] [--requests 200] [--rounds 5] [--plans FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app  # noqa: E402
from api.auth import DEMO_IDENTITIES  # noqa: E402
from engine.adapters.store import list_queries  # noqa: E402
from engine.adapters.store.migrate import upgrade  # noqa: E402
from engine.adapters.store.writer import CASES, TASKS  # noqa: E402
from engine.service.access import Caller  # noqa: E402
from engine.service.ports import CaseFilter, TaskFilter  # noqa: E402
from engine.settings import Settings  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PARTIES = ("af", "fk", "kommun", "region")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PHASE = "kartlaggning"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def database() -> Iterator[str]:
    name = f"insats_read_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


# --- the template, through commands -------------------------------------------------------------


class Http:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, who: str, body: Any = None, version: int | None = None) -> Any:
        headers = {"Authorization": "Bearer " + self.tokens[who]}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        r = self.client.request(method, "/api/v1" + path, headers=headers, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()


ACTOR = {"kommun": "sara.samordnare@kommun", "af": "anna.handlaggare@af", "fk": "fredrik.handlaggare@fk",
         "region": "rut.rehab@region"}  # fmt: skip


def template_case(http: Http) -> str:
    """A named case walked by commands to kartläggning (open tasks for all four parties)."""
    sara, today = ACTOR["kommun"], NOW.date().isoformat()
    case = http.call("POST", "/cases", sara, {"personnummer": "198004262385", "name": "Mall Mallsson"})

    def cmd(path: str, body: Any, who: str = sara) -> None:
        nonlocal case
        http.call("POST", f"/cases/{case['id']}{path}", who, body, case["version"])
        case = http.call("GET", f"/cases/{case['id']}", sara)

    cmd("/consents", {"parties": list(PARTIES), "given_on": today})
    for phase, facts in (("samtycke", {}), ("beslut", {}), ("inskrivning", {}),
                         ("kartlaggning", {"inskrivningssamtal_hallet": today})):  # fmt: skip
        if phase == "inskrivning":
            cmd("/decision", {"decision": "admitted"})
        for _ in range(20):
            blocking = [t for t in case["tasks"] if t["status"] in ("open", "accepted") and t["blocking"]
                        and t["phase"] == case["phase"]]  # fmt: skip
            if not blocking:
                break
            t = blocking[0]
            cmd(f"/tasks/{t['task_id']}/complete", {"note": "klart"}, ACTOR[t["party"]])
        for fact, value in facts.items():
            cmd("/facts", {"fact": fact, "value": value})
        cmd("/phase", {"phase": phase})
    assert case["phase"] == PHASE, case["phase"]
    return str(case["id"])


# --- the copies, by SQL ---------------------------------------------------------------------------

SEED_SQL = """
WITH n AS (SELECT i, md5('c' || i) AS cid, md5('p' || i) AS pid, (i %% 10 = 0) AS active
           FROM generate_series(%(lo)s, %(hi)s - 1) AS i),
persons AS (
  INSERT INTO persons (id, personnummer, name, gender, birth_year, protected)
  SELECT n.pid, '9' || lpad(n.i::text, 11, '0'), 'Deltagare ' || n.i, p.gender, p.birth_year, false
  FROM n, persons p WHERE p.id = %(person)s
),
cases AS (
  INSERT INTO cases (id, person_id, definition_id, definition_version, state, status, phase, version,
                     last_event_seq, anonymous, protected, referred_by, gender, birth_year, created_at,
                     updated_at, closed_at, outcome)
  SELECT n.cid, n.pid, c.definition_id, c.definition_version,
         jsonb_set(c.state::jsonb, '{team}', (
           SELECT jsonb_object_agg(party, jsonb_build_array(jsonb_build_object(
             'user_id', party || '-h' || (n.i / 10 %% %(people)s), 'name', 'Handläggare ' || (n.i / 10 %% %(people)s),
             'role', NULL, 'added_on', '2026-11-01')))
           FROM unnest(ARRAY['af', 'fk', 'kommun', 'region']) AS party))::text,
         CASE WHEN n.active THEN 'active' ELSE 'closed' END, CASE WHEN n.active THEN c.phase ELSE 'avslut' END,
         c.version, c.last_event_seq, c.anonymous, false, c.referred_by, c.gender, c.birth_year,
         c.created_at - n.i * interval '1 minute', c.updated_at - n.i * interval '1 minute',
         CASE WHEN n.active THEN NULL ELSE c.updated_at END, NULL
  FROM n, cases c WHERE c.id = %(template)s
),
tasks AS (
  INSERT INTO tasks (case_id, task_id, kind, label, phase, responsible, party, status, due, blocking, meeting,
                     escalated_to, created_on, closed_on, assignee, assignee_name, priority, follow_up)
  SELECT n.cid, t.task_id, t.kind, t.label, t.phase, t.responsible, t.party,
         CASE WHEN n.active THEN t.status WHEN t.status IN ('open', 'accepted') THEN 'completed' ELSE t.status END,
         t.due + (n.i %% 30 - 15), t.blocking, t.meeting, t.escalated_to, t.created_on,
         CASE WHEN n.active THEN t.closed_on ELSE coalesce(t.closed_on, t.created_on) END,
         t.party || '-h' || (n.i / 10 %% %(people)s), 'Handläggare ' || (n.i / 10 %% %(people)s),
         CASE WHEN n.i %% 7 = 0 THEN 'high' ELSE 'normal' END, t.due + (n.i %% 30 - 20)
  FROM n, tasks t WHERE t.case_id = %(template)s
)
INSERT INTO case_members (case_id, party, user_id, name, role, added_on)
SELECT n.cid, party, party || '-h' || (n.i / 10 %% %(people)s), 'Handläggare ' || (n.i / 10 %% %(people)s),
       NULL, DATE '2026-11-01'
FROM n, unnest(ARRAY['af', 'fk', 'kommun', 'region']) AS party
"""


def seed(url: str, template: str, lo: int, hi: int, people: int) -> float:
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        person = conn.execute("SELECT person_id FROM cases WHERE id = %s", (template,)).fetchone()
        assert person is not None
        for chunk in range(lo, hi, 10_000):
            params = {"lo": chunk, "hi": min(hi, chunk + 10_000), "template": template, "person": person[0],
                      "people": people}  # fmt: skip
            conn.execute(SEED_SQL, params)  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


# --- measuring ----------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def samples(client: TestClient, requests: list[tuple[str, str]]) -> list[float]:
    """Milliseconds per request, each through the whole app."""
    out = []
    for path, token in requests:
        start = time.perf_counter()
        r = client.get("/api/v1" + path, headers={"Authorization": "Bearer " + token})
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
    return out


def measure(client: TestClient, requests: list[tuple[str, str]]) -> float:
    return p95(samples(client, requests))


def token_for(app: Any, user_id: str, party: str) -> str:
    token: str = app.state.authenticator.issue(Caller(user_id, "handlaggare", party, (), user_id), ttl=86400)
    return token


def explain(url: str, people: int, out: Any) -> list[str]:
    """EXPLAIN of the three lists' queries as the store sends them; the sequential scans found."""
    me = f"af-h{people // 2}"
    queries = {
        "a person's tasks": list_queries.task_clauses(TaskFilter("af", (), ("accepted", "open"), assignees=(me,))),
        "a party's tasks": list_queries.task_clauses(TaskFilter("af", (), ("accepted", "open"))),
        "a person's cases, two filters": list_queries.case_clauses(
            CaseFilter("af", members=(me,), statuses=("active",), phase=PHASE), postgresql=True
        ),
    }
    seq: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for name, clauses in queries.items():
            table = CASES if "cases" in name else TASKS
            order = list_queries.case_order() if table is CASES else list_queries.task_order("due")
            for label, q in (
                ("page", select(table).where(*clauses).order_by(*order).limit(20)),
                ("total", select(func.count()).select_from(table).where(*clauses)),
            ):
                sql = str(q.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)]  # type: ignore[arg-type]
                print(f"--- {name} ({label})\n{sql}\n" + "\n".join(plan), file=out)
                seq += [f"{name} ({label}): {line.strip()}" for line in plan
                        if "Seq Scan on tasks" in line or "Seq Scan on cases" in line]  # fmt: skip
    return seq


@dataclass
class Size:
    """One database of `cases` cases, its app and the requests measured on it."""

    cases: int
    url: str
    app: Any
    client: TestClient
    requests: dict[str, list[tuple[str, str]]]
    samples: dict[str, list[float]]


LISTS = ("tasks/person", "tasks/party", "cases/2 filters")


def prepare(cases: int, url: str, keys: str, n_requests: int, rng: random.Random) -> Size:
    upgrade(url)
    app = create_app(Settings(database_url=url, key_dir=Path(keys)), clock=Clock())
    client = TestClient(app)
    client.__enter__()
    tokens = {i.client_id: app.state.authenticator.issue(i, ttl=86400) for i in DEMO_IDENTITIES}
    template = template_case(Http(client, tokens))
    people = max(1, cases // 100)
    seed(url, template, 0, cases, people)
    persons = [f"af-h{rng.randrange(people)}" for _ in range(n_requests)]
    requests = {
        "tasks/person": [("/tasks?assignee=me", token_for(app, u, "af")) for u in persons],
        "tasks/party": [("/tasks", tokens["af-system"])] * n_requests,  # the party's system: party-wide
        "cases/2 filters": [(f"/cases?phase={PHASE}&status=active", token_for(app, u, "af")) for u in persons],
    }
    for path, token in (r[0] for r in requests.values()):  # the lists are not empty
        r = client.get("/api/v1" + path, headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200, r.text[:300]
        assert r.json()["items"], f"{path}: an empty list would measure nothing"
    return Size(cases, url, app, client, requests, {name: [] for name in LISTS})


def run(sizes: list[int], n_requests: int, plans: Any, rounds: int = 5) -> str:
    """Both sizes in databases of their own, measured in alternating rounds (this machine's speed
    drifts with the other work on it: alternating keeps the ratio fair)."""
    seqs: list[str] = []
    rng = random.Random(14)
    with contextlib.ExitStack() as stack:
        prepared = []
        for cases in sizes:
            url = stack.enter_context(database())
            keys = stack.enter_context(tempfile.TemporaryDirectory())
            size = prepare(cases, url, keys, n_requests, rng)
            stack.callback(size.client.__exit__, None, None, None)
            prepared.append(size)
        per_round = max(1, n_requests // rounds)
        for size in prepared:  # warm the caches and the plans
            for name in LISTS:
                measure(size.client, size.requests[name][:10])
        for r in range(rounds):
            for size in prepared if r % 2 == 0 else prepared[::-1]:
                for name in LISTS:
                    size.samples[name] += samples(size.client, size.requests[name][r * per_round : (r + 1) * per_round])
        for size in prepared:
            print(f"=== {size.cases} cases, {max(1, size.cases // 100)} handläggare per party", file=plans)
            seqs += explain(size.url, max(1, size.cases // 100), plans)
    small, large = prepared[0], prepared[-1]
    parts = []
    for name in LISTS:
        a, b = p95(small.samples[name]), p95(large.samples[name])
        parts.append(f"{name} p95 {a:.1f} ms @{small.cases:,} / {b:.1f} ms @{large.cases:,} (x{b / a:.2f})")
    verdict = "index scans" if not seqs else f"SEQ SCANS: {'; '.join(seqs)}"
    return "read_bench (in-process TestClient, PostgreSQL): " + "; ".join(parts) + f"; plans: {verdict}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--requests", type=int, default=200, help="per list and size, spread over the rounds")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--plans", help="write the EXPLAIN plans to this file (default: stderr)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    out = open(args.plans, "w") if args.plans else sys.stderr  # noqa: SIM115
    try:
        print(run(sizes, args.requests, out, args.rounds))
    finally:
        if args.plans:
            out.close()


if __name__ == "__main__":
    main()
