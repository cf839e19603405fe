"""Every problem of a definition at once, each located at its YAML line.

Two passes over the same parsed tree: pydantic checks the shape (unknown fields, types, durations),
and `check_tree` checks what the shape cannot see: references between phases, tasks, parties,
roles and facts, duplicate ids, reachability, and durations that contradict each other. The second
pass reads the plain tree defensively, so it runs (and reports) even when the first one failed.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from engine.core.definition import Definition, FactType
from engine.core.duration import Duration, DurationError, Unit
from engine.core.loader import (
    DefinitionError,
    Problem,
    format_path,
    grouped,
    line_of,
    model_problems,
    parse_yaml,
    read_text,
    to_plain,
)
from engine.core.reachability import Dangling, Finding, graph_findings
from engine.core.wording import Wording, phase_names

Loc = tuple[int | str, ...]
Found = Finding
LineOf = Callable[[Loc], int | None]

MAX_PHASES = 1000
"""The most phases a definition may have: FINSAM's has nine; 1,000 validate well under a second."""

MAX_TASKS = 10_000
"""The most tasks a definition may have, all phases together."""


def validate_text(text: str, file: str) -> tuple[Definition | None, list[Problem]]:
    """Parse YAML text and validate it; the definition is None unless there are no problems."""
    try:
        root = parse_yaml(text, file)
    except DefinitionError as exc:
        return None, exc.problems
    return validate_tree(root, file)


def validate_file(path: str) -> tuple[Definition | None, list[Problem]]:
    try:
        text = read_text(path)
    except DefinitionError as exc:
        return None, exc.problems
    return validate_text(text, path)


def validate_tree(root: Any, file: str) -> tuple[Definition | None, list[Problem]]:
    if root is None:
        return None, [
            Problem(file, 1, "filen är tom; en definition behöver minst id, version, name, parties, start och phases")
        ]
    if not isinstance(root, dict):
        line = line_of(root, ()) or 1
        return None, [Problem(file, line, "definitionen ska vara en YAML-mappning (nyckel: värde) på översta nivån")]
    too_many = _too_many(root)
    if too_many is not None:
        return None, [Problem(file, line_of(root, ("phases",)), too_many, "phases", "too_large")]
    plain = to_plain(root)
    problems: list[Problem] = []
    definition: Definition | None = None
    try:
        definition = Definition.model_validate(plain)
    except ValidationError as exc:
        problems.extend(model_problems(exc, root, file))

    def where(loc: Loc) -> int | None:
        return line_of(root, loc)

    made: dict[Finding, Problem] = {}
    words = Wording(plain)
    for f in check_tree(plain, where):  # a cause is always found before what follows from it
        message = f.message if f.named else words.located(f.loc, f.message)
        cause = made.get(f.cause) if f.cause is not None else None
        made[f] = Problem(file, where(f.loc), message, format_path(f.loc), f.code, cause)
    problems.extend(made.values())
    unique = grouped(problems)
    return (definition if not unique else None), unique


def _too_many(root: Any) -> str | None:
    """Refuse a definition with more phases or tasks than allowed, before any other check."""
    phases = root.get("phases")
    if not isinstance(phases, list):
        return None
    if len(phases) > MAX_PHASES:
        return f"definitionen har {len(phases)} faser; högst {MAX_PHASES} är tillåtna"
    tasks = sum(len(ph["tasks"]) for ph in phases if isinstance(ph, dict) and isinstance(ph.get("tasks"), list))
    if tasks > MAX_TASKS:
        return f"definitionen har {tasks} uppgifter; högst {MAX_TASKS} är tillåtna"
    return None


def check(d: Definition) -> list[Found]:
    """Semantic problems of an already built definition, as (location path, message)."""
    return check_tree(d.model_dump(mode="json"))


def check_tree(data: Any, line: LineOf | None = None) -> list[Found]:
    """Semantic problems of a plain (dict/list) definition tree, as (location path, message)."""
    if not isinstance(data, dict):
        return []
    return _Checker(data, line or (lambda _loc: None)).run()


HINTS = 20
"""How many 'menade du ...?' hints one validation computes: each compares with every id there is."""


def _close(value: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _meant(close: str | None) -> str:
    return f" (menade du '{close}'?)" if close else ""


def _duration(value: Any) -> Duration | None:
    if not isinstance(value, str):
        return None
    try:
        return Duration.parse(value)
    except DurationError:
        return None


def _shorter(a: Duration, b: Duration) -> bool:
    """a is strictly shorter than b (exact in one unit, approximate across units)."""
    if a.unit is b.unit:
        return a.amount < b.amount
    if {a.unit, b.unit} == {Unit.DAYS, Unit.WEEKS}:
        days = {Unit.DAYS: 1, Unit.WEEKS: 7}
        return a.amount * days[a.unit] < b.amount * days[b.unit]
    return a.approx_days() < b.approx_days()


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


_DUE_FROM_HELP = "använd phase_start, case_start, fact:<fakta-id> eller task:<uppgifts-id>"


class _Checker:
    def __init__(self, data: dict[str, Any], line: LineOf) -> None:
        self.data = data
        self.line = line
        self.out: list[Found] = []
        self.parties: dict[str, Loc] = {}
        self.roles: dict[str, Loc] = {}
        self.facts: dict[str, tuple[Loc, Any]] = {}
        self.phases: dict[str, tuple[Loc, dict[str, Any]]] = {}
        self.first: dict[tuple[str, str], Loc] = {}
        self.hints_left = HINTS
        self.dangling: list[Dangling] = []

    def add(self, loc: Loc, message: str, code: str = "invalid", named: bool = False) -> Finding:
        found = Finding(loc, message, code, named)
        self.out.append(found)
        return found

    def _close_id(self, value: str, *known: Iterable[str]) -> str | None:
        """A close id for a misspelt one; only for the first HINTS of them, so checking stays linear."""
        if self.hints_left <= 0:
            return None
        self.hints_left -= 1
        return _close(value, itertools.chain(*known))

    def _hint(self, value: str, *known: Iterable[str]) -> str:
        return _meant(self._close_id(value, *known))

    def run(self) -> list[Found]:
        self._ids()
        self._roles()
        self._phases()
        start = self.data.get("start")
        if isinstance(start, str) and start not in self.phases:
            hint = self._hint(start, self.phases)
            self.add(("start",), f"startfasen '{start}' finns inte{hint}", "unknown_reference")
        self.out.extend(graph_findings(self.phases, start, self.dangling, phase_names(self.data)))
        self._global_timers()
        if self.data.get("coordinator") is not None:
            self._who(("coordinator",), self.data.get("coordinator"))
        self._rehab()
        self._lists()
        return self.out

    # --- ids ----------------------------------------------------------------------------

    def _unique(self, kind: str, ident: Any, loc: Loc, what: str) -> bool:
        """Record an id of a kind; report it when it is already taken. True when it is new."""
        if not isinstance(ident, str):
            return False
        first = self.first.get((kind, ident))
        if first is not None:
            first_line = self.line(first)
            at = f" (första gången på rad {first_line})" if first_line is not None else ""
            self.add(loc, f"{what} '{ident}' finns redan{at}; id måste vara unika", "duplicate_id")
            return False
        self.first[(kind, ident)] = loc
        return True

    def _ids(self) -> None:
        d = self.data
        for i, p in _dicts(d.get("parties")):
            loc: Loc = ("parties", i, "id")
            if self._unique("party", p.get("id"), loc, "parten"):
                self.parties[p["id"]] = loc
        for i, r in _dicts(d.get("roles")):
            loc = ("roles", i, "id")
            ident = r.get("id")
            if isinstance(ident, str) and ident in self.parties:
                message = f"rollen '{ident}' har samma id som en part; välj ett annat id för rollen"
                self.add(loc, message, "duplicate_id")
                continue
            if self._unique("role", ident, loc, "rollen"):
                self.roles[r["id"]] = loc
        for i, f in _dicts(d.get("facts")):
            loc = ("facts", i, "id")
            if self._unique("fact", f.get("id"), loc, "faktumet"):
                self.facts[f["id"]] = (loc, f.get("type", FactType.DATE.value))
        for i, ph in _dicts(d.get("phases")):
            loc = ("phases", i, "id")
            if self._unique("phase", ph.get("id"), loc, "fasen"):
                self.phases[ph["id"]] = (loc, ph)
            for j, t in _dicts(ph.get("tasks")):
                tloc: Loc = ("phases", i, "tasks", j, "id")
                self._unique("task", t.get("id"), tloc, "uppgiften")

    def _roles(self) -> None:
        for i, r in _dicts(self.data.get("roles")):
            party = r.get("party")
            if not isinstance(party, str) or party in self.parties:
                continue
            if party in self.roles:
                self.add(("roles", i, "party"), f"tillhör '{party}', som är en roll; ange en part", "wrong_reference")
            else:
                hint = self._hint(party, self.parties)
                self.add(("roles", i, "party"), f"tillhör okänd part '{party}'{hint}", "unknown_reference")

    # --- references ---------------------------------------------------------------------

    def _who(self, loc: Loc, value: Any) -> None:
        """A responsible or notified party or role."""
        if not isinstance(value, str) or value in self.parties or value in self.roles:
            return
        hint = self._hint(value, self.parties, self.roles)
        self.add(loc, f"okänd part eller roll '{value}'{hint}", "unknown_reference")

    def _phase_ref(self, loc: Loc, value: Any, message: str, source: str | None = None) -> None:
        """A reference to a phase; an unknown one from a transition is remembered with the phase
        it most likely meant, so the phases it leaves unreachable are reported as its follow-ons."""
        if isinstance(value, str) and value not in self.phases:
            meant = self._close_id(value, self.phases)
            found = self.add(loc, f"{message} '{value}'{_meant(meant)}", "unknown_reference")
            if source is not None:
                self.dangling.append(Dangling(source, found, meant))

    def _fact_ref(self, loc: Loc, value: Any, message: str, need_date: bool = False) -> None:
        if not isinstance(value, str):
            return
        if value not in self.facts:
            self.add(loc, f"{message} '{value}'{self._hint(value, self.facts)}", "unknown_reference")
        elif need_date and self.facts[value][1] != FactType.DATE.value:
            kind = self.facts[value][1]
            self.add(loc, f"faktumet '{value}' är av typen {kind}, men här behövs ett datum (date)", "wrong_reference")

    def _guard(self, loc: Loc, guard: Any) -> None:
        if not isinstance(guard, dict):
            return
        self._fact_ref((*loc, "fact"), guard.get("fact"), "villkoret nämner okänt faktum")
        covers = guard.get("consent_covers")
        if isinstance(covers, list):
            for k, party in enumerate(covers):
                if not isinstance(party, str) or party in self.parties:
                    continue
                if party in self.roles:
                    self.add((*loc, "consent_covers", k), f"'{party}' är en roll; samtycket omfattar parter")
                else:
                    hint = self._hint(party, self.parties)
                    self.add((*loc, "consent_covers", k), f"samtycket ska omfatta okänd part '{party}'{hint}")
            self._duplicates((*loc, "consent_covers"), covers, "parten")
        for k, alt in _dicts(guard.get("any_of")):
            self._guard((*loc, "any_of", k), alt)

    # --- phases and tasks ---------------------------------------------------------------

    def _phases(self) -> None:
        for i, ph in _dicts(self.data.get("phases")):
            base: Loc = ("phases", i)
            task_ids = {t["id"]: j for j, t in _dicts(ph.get("tasks")) if isinstance(t.get("id"), str)}
            for j, t in _dicts(ph.get("tasks")):
                self._task((*base, "tasks", j), t, task_ids)
            self._task_chains(base, ph, task_ids)
            source = ph.get("id") if isinstance(ph.get("id"), str) and ph.get("id") in self.phases else None
            if source is not None and self.phases[source][1] is not ph:
                source = None  # a second phase with a taken id is not in the graph
            for j, tr in _dicts(ph.get("transitions")):
                to_loc: Loc = (*base, "transitions", j, "to")
                self._phase_ref(to_loc, tr.get("to"), "övergång till okänd fas", source)
                self._guard((*base, "transitions", j, "when"), tr.get("when"))
            self._phase_length(base, ph)

    def _task(self, loc: Loc, t: dict[str, Any], task_ids: dict[str, int]) -> None:
        self._who((*loc, "responsible"), t.get("responsible"))
        esc = t.get("escalation")
        if isinstance(esc, dict):
            self._who((*loc, "escalation", "to"), esc.get("to"))
        src = t.get("due_from", "phase_start")
        if isinstance(src, str) and src not in ("phase_start", "case_start"):
            kind, sep, ref = src.partition(":")
            if not sep or kind not in ("fact", "task") or not ref:
                self.add((*loc, "due_from"), f"okänd startpunkt för fristen '{src}'; {_DUE_FROM_HELP}")
            elif kind == "fact":
                self._fact_ref((*loc, "due_from"), ref, "fristen räknas från okänt faktum", need_date=True)
            elif ref not in task_ids:
                self.add(
                    (*loc, "due_from"),
                    f"fristen räknas från uppgiften '{ref}', som inte finns i samma fas{self._hint(ref, task_ids)}",
                )
            elif ref == t.get("id"):
                self.add((*loc, "due_from"), "uppgiften kan inte räkna sin frist från sig själv")
        due_raw = t.get("due")
        due = _duration(due_raw)
        reminders = t.get("reminders")
        if isinstance(reminders, list) and reminders and due_raw is None:
            self.add((*loc, "reminders"), "påminnelser kräver en frist (due) att påminna om")
        if due is not None and isinstance(reminders, list):
            for k, raw in enumerate(reminders):
                r = _duration(raw)
                if r is not None and not _shorter(r, due):
                    self.add(
                        (*loc, "reminders", k),
                        f"påminnelsen '{raw}' före förfallodagen är inte kortare än fristen '{due_raw}'",
                    )
        if isinstance(esc, dict) and due_raw is None:
            self.add((*loc, "escalation"), "eskalering kräver en frist (due) att eskalera efter")

    def _task_chains(self, base: Loc, ph: dict[str, Any], task_ids: dict[str, int]) -> None:
        """Tasks that wait for each other in a circle (task:<id>) are never created.

        Each task waits for at most one other, so every walk along `after` ends at a task without
        one, at a task an earlier walk went through, or closes a circle; each task is walked once.
        A circle is reported at its first task (in the order of the tasks), once.
        """
        after: dict[str, str] = {}
        for _, t in _dicts(ph.get("tasks")):
            src = t.get("due_from")
            if isinstance(t.get("id"), str) and isinstance(src, str) and src.startswith("task:"):
                after[t["id"]] = src[5:]
        order = {task: n for n, task in enumerate(task_ids)}
        walked: dict[str, bool] = {}  # task -> still on the current walk
        for start in task_ids:
            path: list[str] = []
            node: str | None = start
            while node is not None and node not in walked:
                walked[node] = True
                path.append(node)
                node = after.get(node)
            if node is not None and walked[node]:
                circle = path[path.index(node) :]
                if len(circle) > 1:  # a task waiting for itself is reported by _task
                    first = min(range(len(circle)), key=lambda k: order.get(circle[k], len(order)))
                    circle = circle[first:] + circle[:first]
                    names = [*circle, circle[0]] if len(circle) <= 8 else [*circle[:6], "…", circle[0]]
                    many = "" if len(circle) <= 8 else f", {len(circle)} uppgifter"
                    self.add(
                        (*base, "tasks", task_ids[circle[0]], "due_from"),
                        f"uppgifterna väntar på varandra i en cirkel ({' → '.join(names)}{many}) och skapas aldrig",
                    )
            for task in path:
                walked[task] = False

    def _phase_length(self, base: Loc, ph: dict[str, Any]) -> None:
        max_raw = ph.get("max_length")
        max_length = _duration(max_raw)
        if max_length is not None and max_length.amount == 0:
            self.add((*base, "max_length"), "max_length måste vara längre än 0")
        ext = ph.get("extension")
        if isinstance(ext, dict):
            if max_raw is None:
                self.add((*base, "extension"), "förlängning (extension) kräver att fasen har max_length")
            step = _duration(ext.get("step"))
            if step is not None and step.amount == 0:
                self.add((*base, "extension", "step"), "förlängningens steg måste vara längre än 0")
            up_to = _duration(ext.get("up_to"))
            if up_to is not None and max_length is not None and not _shorter(max_length, up_to):
                self.add(
                    (*base, "extension", "up_to"),
                    f"förlängning upp till '{ext.get('up_to')}' är inte längre än fasens max_length '{max_raw}'",
                )
        fu = ph.get("follow_up")
        if isinstance(fu, dict):
            self._who((*base, "follow_up", "responsible"), fu.get("responsible"))
            every = _duration(fu.get("every"))
            if every is not None and every.amount == 0:
                self.add((*base, "follow_up", "every"), "uppföljningens intervall måste vara längre än 0")
        mr = ph.get("midpoint_review")
        if isinstance(mr, dict):
            self._who((*base, "midpoint_review", "responsible"), mr.get("responsible"))
            if max_raw is None:
                self.add((*base, "midpoint_review"), "halvtidsavstämning kräver att fasen har max_length")
        if ph.get("notify_on_max_length") is not None:
            self._who((*base, "notify_on_max_length"), ph.get("notify_on_max_length"))
            if max_raw is None:
                self.add((*base, "notify_on_max_length"), "notify_on_max_length kräver att fasen har max_length")

    # --- timers, rehabiliteringskedjan, lists -----------------------------------------------

    def _global_timers(self) -> None:
        timers = self.data.get("global_timers")
        if not isinstance(timers, dict):
            return
        for name in ("no_contact", "max_time"):
            gt = timers.get(name)
            if isinstance(gt, dict):
                self._who(("global_timers", name, "notify"), gt.get("notify"))
                self._phase_ref(("global_timers", name, "starts_in"), gt.get("starts_in"), "timern startar i okänd fas")

    def _rehab(self) -> None:
        rk = self.data.get("rehabiliteringskedjan")
        if not isinstance(rk, dict):
            return
        self._fact_ref(
            ("rehabiliteringskedjan", "fact"),
            rk.get("fact"),
            "rehabiliteringskedjan räknas från okänt faktum",
            need_date=True,
        )
        if "notify" in rk:
            self._who(("rehabiliteringskedjan", "notify"), rk.get("notify"))
        elif "fk" not in self.parties and "fk" not in self.roles:
            self.add(
                ("rehabiliteringskedjan",),
                "rehabiliteringskedjan aviserar 'fk' som standard, men 'fk' är ingen part här; ange notify",
            )
        checkpoints = rk.get("checkpoints")
        if isinstance(checkpoints, list):
            self._duplicates(("rehabiliteringskedjan", "checkpoints"), checkpoints, "kontrollpunkten")

    def _lists(self) -> None:
        d = self.data
        for key, what in (
            ("avbrott_reasons", "avbrottsorsaken"),
            ("outcomes", "utfallet"),
            ("reasons_required_for", "utfallet"),
        ):
            value = d.get(key)
            if isinstance(value, list):
                self._duplicates((key,), value, what)
        outcomes, required = d.get("outcomes"), d.get("reasons_required_for")
        if isinstance(outcomes, list) and isinstance(required, list):
            known = {o for o in outcomes if isinstance(o, str)}
            for k, o in enumerate(required):
                if isinstance(o, str) and o not in known:
                    self.add(("reasons_required_for", k), f"utfallet '{o}' kräver orsak men finns inte bland outcomes")

    def _duplicates(self, loc: Loc, values: list[Any], what: str) -> None:
        seen: set[Any] = set()
        for k, v in enumerate(values):
            if not isinstance(v, str | int) or isinstance(v, bool):
                continue
            if v in seen:
                shown = f"'{v}'" if isinstance(v, str) else str(v)
                self.add((*loc, k), f"{what} {shown} står två gånger i listan")
            seen.add(v)

