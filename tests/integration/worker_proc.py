"""A worker process for fault tests: the real sweep and dispatcher, with "now" read from a file.

`python tests/integration/worker_proc.py DATABASE_URL NOW_FILE SMTP_PORT STOP_AT MARKER`
STOP_AT: `none`, `fired:N` (stop after the N-th timer fired, before the batch ends) or `sent:N` /
`claimed:N` (stop at that point of the N-th delivery). At the stop point the process writes MARKER
and waits to be killed (SIGKILL by the test).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    url, now_file, smtp_port, stop_at, marker = sys.argv[1:6]
    from engine.adapters.notify.email import SmtpConfig, SmtpSender
    from engine.bootstrap import build_services, new_dispatcher
    from engine.service.contacts import ContactDirectory
    from engine.service.retry import RetryPolicy
    from engine.service.timers import sweep_due_timers
    from engine.settings import Settings

    def clock() -> datetime:
        return datetime.fromisoformat(Path(now_file).read_text().strip())

    settings = Settings(database_url=url, definitions_dir=ROOT / "definitions", sync_definitions=False)
    services = build_services(settings, clock=clock)
    contacts = ContactDirectory()
    for role in ("samordnare", "teamledare", "samverkansteam", "handledare", "af", "fk", "region", "kommun"):
        contacts.register_email(role, f"{role}@example.se")
    what, _, n = stop_at.partition(":")
    count = {"fired": 0, "claimed": 0, "sent": 0}

    def stop_here() -> None:
        Path(marker).write_text("stopped")
        while True:
            time.sleep(1)

    def on_fired(case_id: str, timer_id: str) -> None:
        count["fired"] += 1
        if what == "fired" and count["fired"] == int(n):
            stop_here()

    def hook(point: str, row: object) -> None:
        count[point] += 1
        if what == point and count[point] == int(n):
            stop_here()

    dispatcher = new_dispatcher(
        services, contacts, mail=SmtpSender(SmtpConfig(port=int(smtp_port), timeout=5)),
        retry=RetryPolicy(jitter=lambda: 0.5), hook=hook,
    )  # fmt: skip
    sweep_due_timers(services, batch=50, on_fired=on_fired)
    dispatcher.run_once(batch=20)
    Path(marker).write_text("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
