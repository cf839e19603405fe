"""Scale-out and crashes: several workers on PostgreSQL, and a worker killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time as walltime
from collections import Counter
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from engine.adapters.store.models import EventRow, TimerRow
from engine.service.timers import SweepStats, sweep_due_timers
from tests.fakes import FakeClock
from tests.integration.conftest import REPO, make_services
from tests.integration.notify_kit import SmtpServer, smtp_server_fixture  # noqa: F401
from tests.integration.timer_kit import clone_cases, template_case

TZ = ZoneInfo("Europe/Stockholm")
TIMER_EVENTS = ("ReminderDue", "DeadlineMissed", "TaskEscalated")


def office(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


def test_two_workers_fire_10000_due_timers_each_exactly_once(pg_db_url: str) -> None:
    clock = FakeClock(office(date(2026, 6, 15)))
    setup = make_services(pg_db_url, clock)
    try:
        template = template_case(setup)
        cases = [template, *clone_cases(setup, template, 3333)]
    finally:
        setup.close()
    clock.set(office(date(2026, 7, 15)))
    workers = [make_services(pg_db_url, clock) for _ in range(2)]
    stats = [SweepStats() for _ in workers]
    try:
        with workers[0].uow() as uow:
            due = uow.session.scalar(select(func.count()).select_from(TimerRow).where(TimerRow.due_at <= clock()))
        assert due is not None
        assert due >= 10_000
        threads = [threading.Thread(target=sweep_due_timers, args=(w,), kwargs={"stats": s, "batch": 250})
                   for w, s in zip(workers, stats, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        straggler = sweep_due_timers(workers[0])  # any released after a version conflict
        assert all(s.claimed > 0 for s in stats)  # both took part
        assert sum(s.fired for s in stats) + straggler == due
        with workers[0].uow() as uow:
            s = uow.session
            assert s.scalar(select(func.count()).select_from(TimerRow).where(TimerRow.due_at <= clock())) == 0
            per_case = Counter(
                s.execute(select(EventRow.case_id, EventRow.type).where(EventRow.type.in_(TIMER_EVENTS))).all()
            )
        assert len(per_case) == len(cases) * 3
        assert set(per_case.values()) == {1}
    finally:
        for w in workers:
            w.close()


def _start(url: str, now_file: Path, smtp_port: int, stop_at: str, marker: Path) -> subprocess.Popen[bytes]:
    marker.unlink(missing_ok=True)
    return subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "integration" / "worker_proc.py"), url, str(now_file),
         str(smtp_port), stop_at, str(marker)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _wait(proc: subprocess.Popen[bytes], marker: Path, want: str) -> None:
    deadline = walltime.monotonic() + 60
    while walltime.monotonic() < deadline:
        if marker.exists() and marker.read_text() == want:
            return
        if proc.poll() is not None and want != "done":
            raise AssertionError(f"worker ended with {proc.returncode} before {want}")
        walltime.sleep(0.05)
    raise AssertionError(f"worker never reached {want}")


def _run(url: str, now_file: Path, port: int, stop_at: str, marker: Path) -> None:
    proc = _start(url, now_file, port, stop_at, marker)
    try:
        if stop_at == "none":
            _wait(proc, marker, "done")
            assert proc.wait(30) == 0
        else:
            _wait(proc, marker, "stopped")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigkill_mid_sweep_and_mid_dispatch_loses_nothing_and_sends_nothing_twice(
    pg_db_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    clock = FakeClock(office(date(2026, 6, 15)))
    svc = make_services(pg_db_url, clock)
    from tests.integration.service_kit import AF_HANDLAGGARE, named_referral

    pnrs = ["198505052384", "198112189876", "199008672389"]
    try:
        case_ids = [svc.cases.refer(AF_HANDLAGGARE, named_referral(pnr=p, name="X")).id for p in pnrs]
        template = template_case(svc)
        case_ids += [template, *clone_cases(svc, template, 40)]
    finally:
        svc.close()
    now_file, marker = tmp_path / "now", tmp_path / "marker"
    now_file.write_text(office(date(2026, 6, 26)).isoformat())  # every referral's timers are due
    # 1) killed in the middle of the sweep: some cases fired and committed, the rest claimed
    _run(pg_db_url, now_file, smtp_server.port, "fired:20", marker)
    # 2) restarted after the lease expired, killed in the middle of dispatch (a delivery under lease)
    now_file.write_text(office(date(2026, 6, 26), 11).isoformat())
    _run(pg_db_url, now_file, smtp_server.port, "claimed:7", marker)
    # 3) and again, now to the end
    now_file.write_text(office(date(2026, 6, 26), 12).isoformat())
    _run(pg_db_url, now_file, smtp_server.port, "none", marker)

    svc = make_services(pg_db_url, clock)
    try:
        with svc.uow() as uow:
            s = uow.session
            due_by = office(date(2026, 6, 26))
            left = s.scalar(select(func.count()).select_from(TimerRow).where(TimerRow.due_at <= due_by))
            per_case = Counter(
                s.execute(select(EventRow.case_id, EventRow.type).where(EventRow.type.in_(TIMER_EVENTS))).all()
            )
    finally:
        svc.close()
    assert left == 0  # no timer lost
    assert len(per_case) == len(case_ids) * 3
    assert set(per_case.values()) == {1}  # none fired twice
    ids = Counter(m.message_id for m in smtp_server.snapshot())
    assert [k for k, n in ids.items() if n > 1] == []  # no e-mail twice
    # every notification arrived: reminder, deadline, escalation for each case, and TaskCreated for the
    # cases made through the service (copies of the template carry no outbox rows of their own)
    assert len(ids) == len(case_ids) * 3 + len(pnrs) + 1
