"""Engine core vs SpiffWorkflow: commands per second, in memory and with the state round-tripped.

Prints one line of figures (see ../shared/BENCHMARKS.md). Both engines are measured in the same
process, on one core, in alternating rounds so that the machine's noise falls on both; the
rates are medians over the rounds, the ratios medians of each round's back-to-back pair.

Our lifecycle is the FINSAM definition walked from referral to avslut by the simulation's
"everyone acts on time" policy (consent, decision, every task completed, facts recorded, timers
fired: reminders, a missed deadline and an escalation, follow-ups, the midpoint review,
rehabiliteringskedjan, contacts, one extension of arbetsträning, exit with an outcome). The
commands it issues are recorded once, with their timestamps, and replayed through `decide()`.
SpiffWorkflow runs the reference BPMN (nine user tasks in a row); one command is one `READY`
manual task completed (`task.run()` then `do_engine_steps()`). Creating Spiff's workflow is
set-up and is not timed (our Refer command is timed and counted), which favours Spiff.

In the round-trip figures (the second pair) the state is serialised to JSON and
loaded back before every command but the first: `CaseState.to_json()` / `from_json()` for us,
`BpmnWorkflowSerializer.serialize_json()` / `deserialize_json()` for Spiff.

    .venv/bin/python bench/engine_bench.py [--rounds 15] [--seconds 0.2]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.core import commands as c  # noqa: E402
from engine.core import simulation  # noqa: E402
from engine.core.decide import decide  # noqa: E402
from engine.core.definition import Definition  # noqa: E402
from engine.core.events import Rejected  # noqa: E402
from engine.core.loader import load  # noqa: E402
from engine.core.state import CaseState, clear_memos  # noqa: E402

DEFINITION = ROOT / "definitions" / "finsam-insats.yaml"
REFERENCE_BPMN = next(
    (p / "shared" / "bench-reference" / "linear-insats.bpmn" for p in ROOT.parents
     if (p / "shared" / "bench-reference" / "linear-insats.bpmn").is_file()),
    ROOT.parent / "shared" / "bench-reference" / "linear-insats.bpmn",
)  # fmt: skip
"""`../shared/...` next to the checkout, or further up (a git worktree under another directory)."""

LIFECYCLE = simulation.SimulationOptions(
    start=date(2026, 3, 16),
    path=("samtycke", "beslut", "inskrivning", "kartlaggning", "forberedande", "arbetstraning", "avslut"),
    outcome="studier",
    sick_period_start=date(2026, 1, 12),
    extensions={"arbetstraning": 1},
    late={"medicinskt_underlag": 6},
)
EXPECTED_OUTCOME = "studier"

Script = list[tuple[c.Command, datetime]]


# --- our engine ---------------------------------------------------------------------------


def build_lifecycle(definition: Definition, opts: simulation.SimulationOptions = LIFECYCLE) -> Script:
    """Run the simulation once and record every command it issued, with its `now`."""
    script: Script = []
    real_decide = simulation.decide

    def recording(d: Definition, state: CaseState | None, cmd: c.Command, now: datetime) -> Any:
        result = real_decide(d, state, cmd, now)
        if not isinstance(result, Rejected):
            script.append((cmd, now))
        return result

    simulation.decide = recording  # type: ignore[assignment]
    try:
        simulation.simulate(definition, opts)
    finally:
        simulation.decide = real_decide
    return script


def replay(definition: Definition, script: Script, roundtrip: bool) -> CaseState:
    """One lifecycle: every command through `decide()`; with `roundtrip`, state → JSON → state first.
    Content-keyed memos are cleared first: each replay pays what a new case would."""
    clear_memos()
    state: CaseState | None = None
    for cmd, now in script:
        if roundtrip and state is not None:
            state = CaseState.from_json(state.to_json())
        result = decide(definition, state, cmd, now)
        if isinstance(result, Rejected):
            raise RuntimeError(f"{type(cmd).__name__} rejected in replay: {result.code} {result.message}")
        state = result.state
    assert state is not None
    return state


# --- SpiffWorkflow ------------------------------------------------------------------------


class Spiff:
    TASKS = 9

    def __init__(self, bpmn: Path = REFERENCE_BPMN) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec("insats")
        self.serializer = BpmnWorkflowSerializer()
        self.workflow_class = BpmnWorkflow
        self.ready = TaskState.READY

    def new(self) -> Any:
        wf = self.workflow_class(self.spec)
        wf.do_engine_steps()
        return wf

    def run(self, wf: Any, roundtrip: bool) -> Any:
        ser = self.serializer
        for _ in range(self.TASKS):
            if roundtrip:
                wf = ser.deserialize_json(ser.serialize_json(wf))
            task = wf.get_tasks(state=self.ready, manual=True)[0]
            task.run()
            wf.do_engine_steps()
        return wf


# --- measuring ----------------------------------------------------------------------------


Body = Callable[[int], tuple[int, float]]
"""Runs n lifecycles; returns the commands it timed and the seconds they took."""


def _rate(body: Body, seconds: float, n: int = 1) -> tuple[float, int]:
    """Commands per second of `body`, growing the batch until it runs at least `seconds`."""
    while True:
        gc.collect()
        commands, elapsed = body(n)
        if elapsed >= seconds or n >= 1 << 20:
            return commands / elapsed, n
        n = max(n * 2, int(n * seconds / max(elapsed, 1e-6) * 1.1))


def ours(definition: Definition, script: Script, roundtrip: bool) -> Body:
    def body(n: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        for _ in range(n):
            replay(definition, script, roundtrip)
        return n * len(script), time.perf_counter() - t0

    return body


def theirs(spiff: Spiff, roundtrip: bool) -> Body:
    def body(n: int) -> tuple[int, float]:
        elapsed = 0.0
        for _ in range(n):
            wf = spiff.new()  # set-up, not timed
            t0 = time.perf_counter()
            spiff.run(wf, roundtrip)
            elapsed += time.perf_counter() - t0
        return n * Spiff.TASKS, elapsed

    return body


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=0.2, help="minimum time per measurement")
    args = ap.parse_args(argv)

    definition = load(DEFINITION)
    script = build_lifecycle(definition)
    final = replay(definition, script, roundtrip=False)
    if final.outcome != EXPECTED_OUTCOME or replay(definition, script, roundtrip=True) != final:
        raise SystemExit("engine_bench: the lifecycle no longer replays to the expected end")
    spiff = Spiff()
    assert spiff.run(spiff.new(), roundtrip=True).is_completed()

    rates: dict[str, list[float]] = {k: [] for k in ("ours_mem", "spiff_mem", "ours_rt", "spiff_rt")}
    batch: dict[str, int] = dict.fromkeys(rates, 1)
    for i in range(args.rounds):
        jobs: list[tuple[str, Body]] = [
            ("ours_mem", ours(definition, script, False)),
            ("spiff_mem", theirs(spiff, False)),
            ("ours_rt", ours(definition, script, True)),
            ("spiff_rt", theirs(spiff, True)),
        ]
        if i % 2:
            jobs.reverse()
        for key, job in jobs:
            rate, batch[key] = _rate(job, args.seconds, batch[key])
            rates[key].append(rate)

    m = {k: statistics.median(v) for k, v in rates.items()}
    # each round measures a pair back to back, so the ratio is taken per round (paired), then the median
    mem = statistics.median(o / t for o, t in zip(rates["ours_mem"], rates["spiff_mem"], strict=True))
    rt = statistics.median(o / t for o, t in zip(rates["ours_rt"], rates["spiff_rt"], strict=True))
    print(
        f"engine_bench mem: insats {m['ours_mem']:.0f} cmd/s, spiff {m['spiff_mem']:.0f} cmd/s ({mem:.1f}x); "
        f"roundtrip: insats {m['ours_rt']:.0f} cmd/s, spiff {m['spiff_rt']:.0f} cmd/s ({rt:.1f}x) "
        f"[{len(script)} cmd/lifecycle vs {Spiff.TASKS}, medians of {args.rounds} rounds]"
    )


if __name__ == "__main__":
    main()
