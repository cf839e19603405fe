"""Definition validation against size: is it linear, and is 1,000 phases well under a second?

Generates definitions of 100, 250, 500 and 1,000 phases (each phase like FINSAM's: three tasks
with reminders, escalation and `due_from` chains, a guarded transition forwards, one back and
one to the exit, a max_length with extension and follow-up), validates each as an upload does
(`validate_text`: YAML parse, pydantic, the semantic checks) and prints one line: the median
time of each size and each time per phase relative to the 100-phase time, measured in the same
run (1.0 is linear; a quadratic pass would show about 10 at 1,000 phases). See BENCHMARKS.md,
"Limits as a user meets them".

    .venv/bin/python bench/validation_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.core.validation import validate_text  # noqa: E402

SIZES = (100, 250, 500, 1000)

HEAD = """\
id: stor
version: 1
name: Stor genererad definition
parties:
  - {id: af, label: Arbetsförmedlingen}
  - {id: fk, label: Försäkringskassan}
  - {id: kommun, label: Kommunen}
  - {id: region, label: Regionen}
roles:
  - {id: samordnare, label: Samordnare, party: kommun}
facts:
  - {id: startdag, label: Startdag, type: date}
  - {id: klar, label: Klar, type: bool}
coordinator: samordnare
start: p0
phases:
"""

PHASE = """\
  - id: p{i}
    label: Fas {i}
    kind: {kind}
    max_length: 3 månader
    extension: {{step: 1 månad, up_to: 6 månader}}
    follow_up: {{every: 4 veckor, responsible: samordnare}}
    tasks:
      - id: t{i}_a
        label: Första uppgiften i fas {i}
        responsible: samordnare
        due: 10 arbetsdagar
        reminders: [2 arbetsdagar, 1 arbetsdag]
        escalation: {{to: kommun, after: 2 arbetsdagar}}
      - id: t{i}_b
        label: Andra uppgiften
        responsible: region
        due: 5 arbetsdagar
        due_from: task:t{i}_a
      - id: t{i}_c
        label: Tredje uppgiften
        responsible: fk
        due: 10 dagar
        due_from: fact:startdag
        blocking: false
    transitions:
      - to: p{next}
        when:
          tasks_done: true
          consent_covers: [af, fk, kommun, region]
          any_of:
            - fact: klar
            - consent: active
      - to: p{back}
      - to: slut
"""

TAIL = """\
  - id: slut
    label: Avslut
    kind: exit
"""


def generate(phases: int) -> str:
    """A valid definition of `phases` phases (the last of them the exit)."""
    out = [HEAD]
    for i in range(phases - 1):
        kind = "referral" if i == 0 else "assessment"
        nxt = f"{i + 1}" if i + 1 < phases - 1 else "0"
        out.append(PHASE.format(i=i, kind=kind, next=nxt, back=max(i - 1, 0)))
    out.append(TAIL)
    return "".join(out)


def measure(text: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        definition, problems = validate_text(text, "stor.yaml")
        times.append(time.perf_counter() - t0)
        assert definition is not None, problems[:3]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = {n: generate(n) for n in SIZES}
    measure(texts[SIZES[0]], 1)  # warm up imports and caches
    times = {n: measure(texts[n], args.rounds) for n in SIZES}
    reference = times[SIZES[0]] / SIZES[0]
    sizes = " ".join(f"{n}={times[n] * 1000:.0f}ms" for n in SIZES)
    ratios = " ".join(f"{n}:{times[n] / n / reference:.2f}" for n in SIZES[1:])
    kb = len(texts[SIZES[-1]].encode()) // 1000
    print(f"validation: {sizes} ({kb} kB at {SIZES[-1]}); time per phase vs {SIZES[0]} phases, same run: {ratios}")


if __name__ == "__main__":
    main()
