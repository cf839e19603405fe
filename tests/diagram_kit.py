"""A generated definition for the diagram tests: n phases in a line with back edges, skips and
timers, every reference right (the validator accepts it)."""

from __future__ import annotations


def generated_definition(n: int = 40) -> str:
    last = n - 1
    out = [
        "id: stor-process",
        "version: 1",
        f"name: Stor process med {n} faser",
        "parties:",
        "  - {id: af, label: Arbetsförmedlingen}",
        "  - {id: fk, label: Försäkringskassan}",
        "  - {id: kommun, label: Kommunen}",
        "  - {id: region, label: Regionen}",
        "roles:",
        "  - {id: samordnare, label: Samordnare, party: kommun}",
        "facts:",
        *[f"  - {{id: mote_{i}, label: Avstämningsmöte {i + 1} hållet}}" for i in range(n)],
        "start: fas_0",
        "phases:",
    ]
    for i in range(n):
        kind = "referral" if i == 0 else ("exit" if i == last else "assessment")
        out += [f"  - id: fas_{i}", f"    label: Fas {i + 1} – kartläggning av steg {i + 1}", f"    kind: {kind}"]
        if i % 5 == 2:
            out.append("    max_length: 6 veckor")
        out += [
            "    tasks:",
            f"      - id: uppgift_{i}",
            f"        label: Gör steg {i + 1} med deltagaren",
            "        responsible: samordnare",
            "        due: 5 arbetsdagar",
        ]
        if i == last:
            continue
        out += [
            "    transitions:",
            f"      - to: fas_{i + 1}",
            f"        label: Vidare till fas {i + 2}",
            "        when: {tasks_done: true" + (f", fact: mote_{i}" if i % 3 == 0 else "") + "}",
        ]
        if i % 4 == 3:
            out += [f"      - to: fas_{i - 2}", f"        label: Tillbaka till fas {i - 1}"]
        if i % 7 == 5 and i + 3 < last:
            out += [f"      - to: fas_{i + 3}", "        label: Hoppa över två faser"]
    out += ["global_timers:", "  no_contact: {after: 14 dagar, notify: samordnare, starts_in: fas_1}"]
    return "\n".join(out) + "\n"
