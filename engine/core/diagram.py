"""The process diagram of a definition as a graph description, in the admin's words.

Pure: nodes (the start, phases with their tasks and timers, the exits' outcomes, notes for the
global timers, rehabiliteringskedjan and avbrott) and edges (transitions with their guards in
words, back edges marked), plus the same content as text for screen readers. Laid out by
Graphviz (`engine.core.diagram_dot` writes the DOT text; an adapter runs `dot`), so the CLI,
the pages and the README draw the same picture. Never an internal id, never a cut label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from engine.core.definition import Definition, Guard, Phase, Task, Transition
from engine.core.words import DECISIONS, OUTCOMES, avbrott_reason

NodeKind = Literal["start", "phase", "exit", "end", "note", "guard"]
EdgeKind = Literal["forward", "back", "note"]
LineStyle = Literal["task", "detail", "timer", "text"]


@dataclass(frozen=True)
class Line:
    text: str
    style: LineStyle = "text"


@dataclass(frozen=True)
class Node:
    key: str  # a DOT name (n0, n1, ...): never shown
    kind: NodeKind
    title: str
    lines: tuple[Line, ...] = ()

    def texts(self) -> list[str]:
        return [self.title] + [x.text for x in self.lines]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind = "forward"
    arrow: bool = True


@dataclass(frozen=True)
class Step:
    """One transition in words, for the text alternative."""

    source: str
    target: str
    label: str
    guard: str
    back: bool


@dataclass
class Graph:
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    same_rank: list[tuple[str, ...]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The drawing as plain sentences (the SVG's <desc>)."""
        parts = [
            f"Från {s.source} till {s.target}" + (f" ({s.label})" if s.label else "") + f": {s.guard}"
            for s in self.steps
        ]
        return ". ".join(parts + self.notes) + "."


def _lower_first(text: str) -> str:
    """'Inskrivningssamtal hållet' -> 'inskrivningssamtal hållet'; an acronym (SIP-möte) is kept."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _join(items: list[str], word: str = "och") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def who(d: Definition, ident: str) -> str:
    """A role's or a party's label (the id only if the definition has neither: the validator says so)."""
    if ident in d.role_by_id:
        return d.role_by_id[ident].label
    for p in d.parties:
        if p.id == ident:
            return p.label
    return ident


def _party(d: Definition, ident: str) -> str:
    return next((p.label for p in d.parties if p.id == ident), ident)


def _fact(d: Definition, ident: str) -> str:
    f = d.fact_by_id.get(ident)
    return f.label if f else ident


def guard_words(d: Definition, g: Guard, phase: Phase | None = None) -> list[str]:
    """The conditions of a guard, each in words ("beslut om deltagande är Antagen")."""
    parts: list[str] = []
    if g.tasks_done:  # the box lists the tasks, and marks those that need not be done
        blocking = [t for t in (phase.tasks if phase else []) if t.blocking]
        parts.append("fasens uppgift är klar" if len(blocking) == 1 else "fasens uppgifter är klara")
    if g.consent == "active":
        parts.append("samtycke finns")
    if g.consent_covers:
        parts.append("samtycket omfattar " + _join([_party(d, p) for p in g.consent_covers]))
    if g.decision:
        parts.append(f"beslut om deltagande är {DECISIONS.get(g.decision, g.decision)}")
    if g.fact:
        parts.append(f"{_lower_first(_fact(d, g.fact))} är registrerat")
    if g.anonymous is not None:
        parts.append("deltagaren är anonym" if g.anonymous else "deltagaren inte är anonym")
    if g.any_of:
        alternatives = [" och ".join(guard_words(d, a, phase)) or "alltid" for a in g.any_of]
        parts.append("(" + " eller ".join(alternatives) + ")" if len(parts) else " eller ".join(alternatives))
    return parts


def guard_text(d: Definition, t: Transition, phase: Phase | None = None) -> str:
    """'när ...' for a guarded transition; an unguarded one is taken when someone chooses it."""
    words = guard_words(d, t.when, phase)
    return "när " + " och ".join(words) if words else "när samordnaren väljer det"


def _due_words(d: Definition, t: Task) -> str:
    if t.due is None:
        return ""
    src = t.due_from
    if src == "case_start":
        return f"inom {t.due} från ärendets start"
    if src.startswith("fact:"):
        return f"inom {t.due} från {_lower_first(_fact(d, src[5:]))}"
    if src.startswith("task:"):
        other = d.task_by_id.get(src[5:])
        name = other[1].label if other else src[5:]
        return f"inom {t.due} efter att ”{name}” är klar"
    return f"inom {t.due}"


def task_lines(d: Definition, t: Task) -> list[str]:
    """A task in the box: what, who and when, then its reminders and escalation (where they act)."""
    head = ("Möte: " if t.meeting else "") + t.label + ("" if t.blocking else " (behöver inte vara klar)")
    when = ", ".join(x for x in (who(d, t.responsible), _due_words(d, t)) if x)
    out = [head, when]
    if t.reminders:
        out.append("Påminnelse " + _join([str(r) for r in t.reminders]) + " före förfallodagen")
    if t.escalation is not None:
        out.append(f"Eskaleras till {who(d, t.escalation.to)} {t.escalation.after} efter förfallodagen")
    return out


def timer_lines(d: Definition, p: Phase) -> list[str]:
    """A phase's own timers: max length (and who hears of it), extension, follow-up, midpoint review."""
    out: list[str] = []
    if p.max_length is not None:
        notify = f"; sedan meddelas {who(d, p.notify_on_max_length)}" if p.notify_on_max_length else ""
        out.append(f"Längst {p.max_length}{notify}")
    if p.extension is not None:
        out.append(f"Kan förlängas {p.extension.step} i taget, högst {p.extension.up_to}")
    if p.follow_up is not None:
        f = p.follow_up
        out.append(f"{f.label} var {f.every} ({who(d, f.responsible)}, inom {f.due})")
    if p.midpoint_review is not None:
        m = p.midpoint_review
        out.append(f"{m.label} vid halva tiden ({who(d, m.responsible)}, inom {m.due})")
    return out


def back_edges(d: Definition) -> set[tuple[str, int]]:
    """Transitions (phase id, index) that lead back to a phase on the way from the start."""
    back: set[tuple[str, int]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(pid: str) -> None:
        state[pid] = 1
        for i, t in enumerate(d.phase_by_id[pid].transitions):
            if t.to not in d.phase_by_id:
                continue
            if state.get(t.to) == 1:
                back.add((pid, i))
            elif t.to not in state:
                visit(t.to)
        state[pid] = 2

    order = [d.start] if d.start in d.phase_by_id else []
    for pid in order + [p.id for p in d.phases]:
        if pid not in state:
            visit(pid)
    return back


def _outcome_lines(d: Definition) -> tuple[str, ...]:
    needs_reason = set(d.reasons_required_for)
    return tuple(OUTCOMES.get(o.value, o.value) + (" (orsak krävs)" if o in needs_reason else "") for o in d.outcomes)


def _timer_notes(d: Definition) -> list[tuple[str, str, tuple[Line, ...]]]:
    """(phase id where it acts, title, lines): the global timers, one note per phase they start
    in, and rehabiliteringskedjan (its checkpoints count from a fact that may be recorded in any
    phase: beside the start, saying so)."""
    out: list[tuple[str, str, tuple[Line, ...]]] = []
    g = d.global_timers
    by_phase: dict[str, list[str]] = {}
    for timer, what in (
        (g.no_contact, "Ingen kontakt med deltagaren på {after}: larm till {who}"),
        (g.max_time, "Insatsen har pågått {after}: meddela {who}"),
    ):
        if timer is not None:
            start = timer.starts_in if timer.starts_in in d.phase_by_id else d.start
            by_phase.setdefault(start, []).append(what.format(after=timer.after, who=who(d, timer.notify)))
    for start, texts in by_phase.items():
        since = d.phase_by_id[start].label if start in d.phase_by_id else "ärendets start"
        lines = tuple(Line(t, "task") for t in texts) + (Line(f"Räknas från fasen {since}", "detail"),)
        out.append((start, "Bevakning av hela insatsen", lines))
    rk = d.rehabiliteringskedjan
    if rk is not None:
        days = _join([f"dag {c}" for c in rk.checkpoints])
        rehab = (
            Line(f"Försäkringskassans kontrollpunkter {days}, räknat från {_lower_first(_fact(d, rk.fact))}"),
            Line(f"Varning {rk.warn_before} före till {who(d, rk.notify)}"),
            Line("Gäller i alla faser från när datumet registreras", "detail"),
        )
        out.append((d.start, "Rehabiliteringskedjan", rehab))
    return out


def build_graph(d: Definition) -> Graph:
    """The diagram of a (validated) definition."""
    g = Graph(title=f"Processdiagram: {d.name} (version {d.version})")
    key = {p.id: f"n{i}" for i, p in enumerate(d.phases)}
    counter = iter(range(10**6))

    def new(kind: NodeKind, title: str, lines: tuple[str, ...] = ()) -> str:
        k = f"{kind[0]}{next(counter)}"
        g.nodes.append(Node(k, kind, title, tuple(Line(x) for x in lines)))
        return k

    start = new("start", "Start", ("Remissen tas emot",))
    for p in d.phases:
        lines: list[Line] = []
        for task in p.tasks:
            head, *rest = task_lines(d, task)
            lines.append(Line(head, "task"))
            lines.extend(Line(x, "detail") for x in rest)
        lines.extend(Line(x, "timer") for x in timer_lines(d, p))
        g.nodes.append(Node(key[p.id], "exit" if p.kind.value == "exit" else "phase", p.label, tuple(lines)))
    if d.start in key:
        g.edges.append(Edge(start, key[d.start]))
    back = back_edges(d)
    for p in d.phases:
        for i, t in enumerate(p.transitions):
            if t.to not in key:
                continue
            is_back = (p.id, i) in back
            words = guard_text(d, t, p)
            label = new("guard", t.label or "", (words,))
            if is_back:  # drawn against the ranking: the arrow ends at the earlier phase
                g.edges.append(Edge(key[t.to], label, "back", arrow=True))
                g.edges.append(Edge(label, key[p.id], "back", arrow=False))
            else:
                g.edges.append(Edge(key[p.id], label, arrow=False))
                g.edges.append(Edge(label, key[t.to]))
            target = d.phase_by_id[t.to].label
            g.steps.append(Step(p.label, target, t.label or "", words, is_back))
    exits = [p for p in d.phases if p.kind.value == "exit"]
    if exits:
        end = new("end", "Ärendet avslutas", ("med utfall:",) + _outcome_lines(d))
        for p in exits:
            g.edges.append(Edge(key[p.id], end))
            outcomes = "när utfallet registreras: " + ", ".join(_outcome_lines(d))
            g.steps.append(Step(p.label, "Ärendet avslutas", "", outcomes, False))
        if d.avbrott_reasons:
            reasons = [avbrott_reason(r).lower() for r in d.avbrott_reasons]
            note = new("note", "Avbrott", ("Kan ske i varje fas", "Orsaker: " + _join(reasons)))
            g.edges.append(Edge(note, end, "note"))
            g.notes.append("Avbrott kan ske i varje fas, med orsak " + _join(reasons, "eller"))
    beside: set[str] = set()
    for phase_id, title, note_lines in _timer_notes(d):
        note = f"a{next(counter)}"
        g.nodes.append(Node(note, "note", title, note_lines))
        # beside its phase: the first note on the right, a second on the left (a flat edge's
        # direction orders the two), so no dotted line crosses a note
        if phase_id in beside:
            g.edges.append(Edge(note, key[phase_id], "note", arrow=False))
        else:
            g.edges.append(Edge(key[phase_id], note, "note", arrow=False))
            beside.add(phase_id)
        g.same_rank.append((key[phase_id], note))
        g.notes.append(f"{title}: " + "; ".join(x.text for x in note_lines))
    return g
