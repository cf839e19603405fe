"""PostgreSQL: the writes of `append` after the case inserts in ONE statement — the guarded
UPDATE of every case, with the events, outbox, tasks, timers, case_members, case_refs and access-log
rows chained on it in data-modifying CTEs (a case whose guard fails gets none of its rows; the caller then raises
`VersionConflict` and the unit rolls back). The rows travel as one JSON document
(`json_to_recordset`; `json_populate_recordset` with the table's row type where the rows carry
every column), which keeps the statement's text fixed whatever the number of rows, so
psycopg prepares it once per connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from engine.adapters.store.writer import TeamRows

Key = tuple[str, str]

_TASK_FIELDS = (
    ("kind", "text"), ("label", "text"), ("phase", "text"), ("responsible", "text"), ("party", "text"),
    ("status", "text"), ("due", "date"), ("blocking", "bool"), ("meeting", "bool"), ("escalated_to", "text"),
    ("created_on", "date"), ("closed_on", "date"), ("assignee", "text"), ("assignee_name", "text"),
    ("priority", "text"), ("follow_up", "date"),
)  # fmt: skip
_TASK_SET = ", ".join(f"{name} = excluded.{name}" for name, _ in _TASK_FIELDS)

WRITE = f"""
WITH u AS (
  SELECT * FROM json_to_recordset(%(w)s::json -> 'cases') AS u(id text, guard int, state text, version int,
    phase text, status text, outcome text, last_event_seq int, updated_at timestamptz, closed_at timestamptz,
    definition_version int, person_id text, protected bool)
), c AS (
  UPDATE cases SET state = u.state, version = u.version, phase = u.phase, status = u.status,
    outcome = u.outcome, last_event_seq = u.last_event_seq, updated_at = u.updated_at,
    closed_at = u.closed_at, definition_version = u.definition_version, person_id = u.person_id,
    protected = u.protected
  FROM u WHERE cases.id = u.id AND cases.version = u.guard
  RETURNING cases.id
), k AS (
  SELECT id FROM c UNION ALL SELECT json_array_elements_text(%(w)s::json -> 'inserted')
), e AS (
  INSERT INTO events (case_id, seq, type, at, data, actor)
  SELECT n.case_id, n.seq, n.type, n.at, n.data, n.actor
  FROM json_to_recordset(%(w)s::json -> 'events')
       AS n(case_id text, seq int, type text, at timestamptz, data json, actor text, ord bigint)
  WHERE n.case_id IN (SELECT id FROM k)
  ORDER BY n.ord
  RETURNING id, case_id, seq
), o AS (
  INSERT INTO outbox (case_id, event_id, kind, recipient, payload, idempotency_key, status, attempts,
                      next_attempt_at, created_at)
  SELECT n.case_id, e.id, n.kind, n.recipient, n.payload, n.idempotency_key, 'pending', 0, n.next_attempt_at,
         n.created_at
  FROM json_to_recordset(%(w)s::json -> 'outbox')
       AS n(case_id text, seq int, kind text, recipient text, payload json, idempotency_key text,
            next_attempt_at timestamptz, created_at timestamptz, ord bigint)
  JOIN e ON e.case_id = n.case_id AND e.seq = n.seq
  ORDER BY n.ord
), t AS (
  INSERT INTO tasks SELECT * FROM json_populate_recordset(NULL::tasks, %(w)s::json -> 'tasks') n
  WHERE n.case_id IN (SELECT id FROM k)
  ON CONFLICT (case_id, task_id) DO UPDATE SET {_TASK_SET}
), td AS (
  DELETE FROM timers USING json_to_recordset(%(w)s::json -> 'gone') AS n(case_id text, timer_id text)
  WHERE timers.case_id = n.case_id AND timers.timer_id = n.timer_id AND n.case_id IN (SELECT id FROM k)
), ti AS (
  INSERT INTO timers SELECT * FROM json_populate_recordset(NULL::timers, %(w)s::json -> 'timers') n
  WHERE n.case_id IN (SELECT id FROM k)
  ON CONFLICT (case_id, timer_id) DO UPDATE SET due_at = excluded.due_at, kind = excluded.kind,
    ref = excluded.ref, claimed_until = NULL, owner = NULL
), n_m AS (
  SELECT * FROM json_populate_recordset(NULL::case_members, %(w)s::json -> 'members')
), md AS (
  DELETE FROM case_members m WHERE m.case_id IN (SELECT json_array_elements_text(%(w)s::json -> 'member_cases'))
  AND (m.case_id, m.party, m.user_id) NOT IN (SELECT case_id, party, user_id FROM n_m)
), mi AS (
  INSERT INTO case_members SELECT * FROM n_m WHERE case_id IN (SELECT id FROM k)
  ON CONFLICT (case_id, party, user_id) DO UPDATE SET name = excluded.name, role = excluded.role
), n_r AS (
  SELECT * FROM json_populate_recordset(NULL::case_refs, %(w)s::json -> 'refs')
), rd AS (
  DELETE FROM case_refs r WHERE r.case_id IN (SELECT json_array_elements_text(%(w)s::json -> 'ref_cases'))
  AND (r.case_id, r.party) NOT IN (SELECT case_id, party FROM n_r)
), ri AS (
  INSERT INTO case_refs SELECT * FROM n_r WHERE case_id IN (SELECT id FROM k)
  ON CONFLICT (case_id, party) DO UPDATE SET reference = excluded.reference
), a AS (
  INSERT INTO access_log (at, user_id, caller_kind, party, person_id, case_id, resource, purpose)
  SELECT n.at, n.user_id, n.caller_kind, n.party, n.person_id, n.case_id, n.resource, n.purpose
  FROM json_to_recordset(%(w)s::json -> 'access_log') AS n(at timestamptz, user_id text, caller_kind text,
    party text, person_id text, case_id text, resource text, purpose text)
)
SELECT count(*) FROM c
"""
WRITE = " ".join(WRITE.split()).replace(" -> ", "->")  # under psycopg's 4096-character limit for its parsed-query cache
assert len(WRITE) <= 4096


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def write(
    conn: Connection,
    inserted: list[str],
    updates: list[dict[str, Any]],
    events: list[dict[str, Any]],
    notes: list[tuple[int, dict[str, Any]]],
    tasks: list[dict[str, Any]],
    gone: Sequence[Key],
    timers: list[dict[str, Any]],
    access_log: list[dict[str, Any]],
    team: TeamRows,
) -> int:
    """Returns how many case rows the guarded UPDATE wrote (the caller compares with `updates`).
    The rows go as one JSON document (one parameter: PostgreSQL parses it, not a Python dumper per
    array), with the guard as `guard` and the case id as `id`."""
    doc = {
        "cases": [{**u, "id": u["b_id"], "guard": u["b_version"]} for u in updates],
        "inserted": inserted,
        "events": [{**e, "ord": i} for i, e in enumerate(events)],  # ids in this order
        "outbox": [{**n, "seq": events[i]["seq"], "ord": j} for j, (i, n) in enumerate(notes)],
        "tasks": tasks,
        "gone": [{"case_id": c, "timer_id": t} for c, t in gone],
        "timers": timers,
        "access_log": access_log,
        "member_cases": team.member_cases,
        "members": team.members,
        "ref_cases": team.ref_cases,
        "refs": team.refs,
    }
    text = json.dumps(doc, ensure_ascii=False, default=_iso)
    found = fetch_one(conn, WRITE, {"w": text})
    assert found is not None
    return int(found[0])


def fetch_one(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """One statement straight on the psycopg connection under `conn`, in its transaction: the
    command path's two statements skip SQLAlchemy's per-execution work (result metadata, processors).
    Errors come out as SQLAlchemy's, as from any other statement."""
    raw: Any = conn.connection.dbapi_connection
    try:
        with raw.cursor() as cur:
            cur.execute(sql, params)
            found: tuple[Any, ...] | None = cur.fetchone()
            return found
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, dialect=conn.dialect) from exc
