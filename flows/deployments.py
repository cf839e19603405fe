"""Schedules of the batch flows, served by a runner or registered to a work pool.

- report: the 2nd of each month 06:00 (last month's figures);
- gallring: every night 02:30;
- digest: working mornings 07:00 — Monday to Friday by cron, and the flow itself skips Swedish
  public holidays and midsommar-, jul- and nyårsafton (the `holidays` calendar the engine uses);
- loggkontroll: the 3rd of each month 06:00 (last month's sample).
All in Europe/Stockholm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.batch import digest_flow, gallring_flow, loggkontroll_flow, report_flow

TZ = "Europe/Stockholm"
REPO = Path(__file__).resolve().parent.parent
SCHEDULES: dict[str, tuple[Any, str, str]] = {
    "report": (report_flow, "0 6 2 * *", "monthly"),
    "gallring": (gallring_flow, "30 2 * * *", "nightly"),
    "digest": (digest_flow, "0 7 * * 1-5", "working-mornings"),
    "loggkontroll": (loggkontroll_flow, "0 6 3 * *", "monthly"),
}
ENTRYPOINTS = {
    "report": "flows/batch.py:report_flow",
    "gallring": "flows/batch.py:gallring_flow",
    "digest": "flows/batch.py:digest_flow",
    "loggkontroll": "flows/batch.py:loggkontroll_flow",
}


def runner_deployments(names: list[str] | None = None, *, schedules: bool = True) -> list[Any]:
    """`RunnerDeployment`s for `prefect.serve` (this process runs the flows)."""
    out = []
    for key in names or list(SCHEDULES):
        fl, cron, name = SCHEDULES[key]
        kw: dict[str, Any] = {"name": name}
        if schedules:
            from prefect.schedules import Cron

            kw["schedules"] = [Cron(cron, timezone=TZ)]
        out.append(fl.to_deployment(**kw))
    return out


def serve(names: list[str] | None = None, *, schedules: bool = True) -> None:
    from prefect import serve as prefect_serve

    prefect_serve(*runner_deployments(names, schedules=schedules))


def deploy_to_pool(work_pool: str, names: list[str] | None = None, source: Path = REPO) -> list[str]:
    """Register the deployments with their schedules to a (process) work pool; `prefect worker start
    --pool <work_pool>` then runs them from `source` (the installed project)."""
    from prefect import Flow
    from prefect.schedules import Cron

    ids = []
    for key in names or list(SCHEDULES):
        _fl, cron, name = SCHEDULES[key]
        remote = Flow.from_source(source=str(source), entrypoint=ENTRYPOINTS[key])
        if not isinstance(remote, Flow):  # async dispatch returns a coroutine inside an event loop
            raise RuntimeError("deploy_to_pool must be called outside an event loop")
        dep_id = remote.deploy(
            name=name, work_pool_name=work_pool, schedules=[Cron(cron, timezone=TZ)], build=False, push=False
        )
        ids.append(str(dep_id))
    return ids
