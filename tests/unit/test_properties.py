"""Property-based tests: random command sequences on the FINSAM definition.

Hypothesis draws commands of every type, with plausible arguments (an open task, a transition
out of the current phase, a fact a guard needs) and implausible ones (unknown ids, dates in the
future, wrong types), lets random amounts of time pass and fires the timers that came due.
After every step the state must be one the definition allows, survive JSON unchanged, and an
avbrott must still be possible.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition, PhaseKind
from engine.core.events import EVENT_TYPES, Decision, Rejected
from engine.core.state import CaseState, Consent, TaskState, Timer
from engine.core.state_format import FORMAT

from .casekit import ALL_PARTIES, at, finsam, local

KNOWN_CODES = frozenset(
    {
        "case_exists",
        "case_not_found",
        "definition_mismatch",
        "case_closed",
        "unknown_command",
        "unknown_party",
        "unknown_phase",
        "transition_not_allowed",
        "consent_required",
        "decision_required",
        "tasks_not_done",
        "fact_required",
        "participation_mode",
        "extension_not_allowed",
        "extension_limit_reached",
        "unknown_task",
        "task_not_open",
        "reason_required",
        "comment_empty",
        "consent_scope_empty",
        "invalid_date",
        "consent_form_required",
        "consent_not_active",
        "invalid_decision",
        "decision_not_expected",
        "unknown_fact",
        "invalid_fact_value",
        "timer_not_active",
        "timer_not_due",
        "exit_phase_required",
        "unknown_outcome",
        "unknown_reason",
        "invalid_value",
    }
)
TIMER_KINDS = frozenset(
    {
        "reminder",
        "deadline",
        "escalation",
        "phase_max_length",
        "follow_up",
        "midpoint_review",
        "no_contact",
        "max_time",
        "rehab_warning",
        "rehab_checkpoint",
    }
)
TASK_KINDS = frozenset({"task", "follow_up", "midpoint_review", "rehab_checkpoint"})

# Each entry is one draw; repeats make the plausible, process-moving commands more frequent.
KINDS = (
    ["complete"] * 8
    + ["start"] * 6
    + ["fact"] * 3
    + ["consent"] * 2
    + ["decide"] * 3
    + ["advance"] * 4
    + ["exit"] * 2
    + ["progress"] * 6
    + ["withdraw", "accept", "decline", "comment", "contact", "extend", "fire", "refer", "abort"]
)


def record_reach(s: CaseState) -> None:
    """Tell `--hypothesis-show-statistics` how deep the walks get."""
    visited = {p for p, _ in s.phase_visits}
    for phase in ("kartlaggning", "forberedande", "arbetstraning"):
        event(f"visited {phase}: {phase in visited}")
    phase = d().phase_by_id[s.phase]
    if phase.max_length is not None and s.phase_ends_on is not None:
        normal_end = phase.max_length.after(s.phase_entered_on, d().working_calendar)
        event(f"extended: {s.phase_ends_on > normal_end}")
    event("closed" if s.closed else "active")


def d() -> Definition:
    return finsam()


# --- drawing commands -----------------------------------------------------------------------


def _pick(data: st.DataObject, plausible: list[Any], implausible: list[Any]) -> Any:
    if plausible and data.draw(st.integers(0, 4)) > 0:
        return data.draw(st.sampled_from(plausible))
    return data.draw(st.sampled_from(implausible + plausible))


def _a_date(data: st.DataObject, today: date) -> date:
    return today + timedelta(days=data.draw(st.integers(-40, 3)))


def draw_command(data: st.DataObject, s: CaseState, today: date) -> c.Command | str:
    """One command for the case, or "advance" (let time pass) or "progress" (do what the phase needs)."""
    definition = d()
    kind = data.draw(st.sampled_from(KINDS))
    tasks = sorted(s.tasks)
    open_here = sorted(t.id for t in s.tasks.values() if t.is_open)
    if kind in ("advance", "progress"):
        return kind
    if kind == "complete":
        return c.CompleteTask(_pick(data, open_here, ["okand_uppgift", *tasks]), note=None)
    if kind == "accept":
        return c.AcceptTask(_pick(data, open_here, ["okand_uppgift", *tasks]))
    if kind == "decline":
        reason = data.draw(st.sampled_from(["ingen tid", "", "  "]))
        return c.DeclineTask(_pick(data, open_here, ["okand_uppgift", *tasks]), reason)
    if kind == "comment":
        text = data.draw(st.sampled_from(["ringt", "", " \n"]))
        return c.CommentTask(_pick(data, tasks, ["okand_uppgift"]), text)
    if kind == "start":
        phase = definition.phase_by_id.get(s.phase)
        targets = [t.to for t in phase.transitions] if phase else []
        return c.StartPhase(_pick(data, targets, ["semester", *definition.phase_by_id]))
    if kind == "fact":
        fact = _pick(data, [f.id for f in definition.facts], ["lon"])
        value = data.draw(
            st.one_of(
                st.just(today),
                st.builds(lambda n: today - timedelta(days=n), st.integers(0, 400)),
                st.builds(lambda n: (today - timedelta(days=n)).isoformat(), st.integers(0, 30)),
                st.sampled_from([42, "igår", True, None, "2026-02-30"]),
            )
        )
        return c.RecordFact(fact, value)
    if kind == "consent":
        parties = data.draw(
            st.one_of(
                st.just(ALL_PARTIES),
                st.lists(st.sampled_from([*ALL_PARTIES, "skatteverket"]), max_size=5).map(tuple),
            )
        )
        form = data.draw(st.sampled_from(["skriftligt", "skriftligt", "", "blankett 9443"]))
        return c.RecordConsent(parties, _a_date(data, today), form=form)
    if kind == "withdraw":
        parties = data.draw(
            st.one_of(st.none(), st.lists(st.sampled_from([*ALL_PARTIES, "skatteverket"]), max_size=3).map(tuple))
        )
        return c.WithdrawConsent(parties, reason=data.draw(st.sampled_from([None, "ångrat sig"])))
    if kind == "decide":
        return c.DecideParticipation(
            data.draw(st.sampled_from(["admitted", "admitted", "not_admitted", "on_hold", "kanske"]))
        )
    if kind == "contact":
        return c.RecordContact(
            on=data.draw(st.one_of(st.none(), st.integers(-40, 3).map(lambda n: today + timedelta(days=n))))
        )
    if kind == "extend":
        return c.ExtendPhase(reason=data.draw(st.sampled_from([None, "behöver mer tid"])))
    if kind == "fire":
        return c.FireTimer(_pick(data, sorted(s.timers), ["global:okand"]))
    if kind == "exit":
        outcome = data.draw(st.sampled_from([o.value for o in definition.outcomes] + ["pension"]))
        reason = data.draw(st.sampled_from([None, "", "åter till kommunen"]))
        return c.ExitCase(outcome, reason)
    if kind == "refer":
        return c.Refer(s.case_id, data.draw(st.sampled_from(["af", "skatteverket"])))
    assert kind == "abort"
    return c.AbortCase(data.draw(st.sampled_from([*definition.avbrott_reasons, "", "tråkigt"])))


# --- invariants -----------------------------------------------------------------------------


def assert_allowed_state(s: CaseState) -> None:
    definition = d()
    phases = definition.phase_by_id
    assert s.phase in phases
    assert (s.definition_id, s.definition_version) == (definition.id, definition.version)
    # the phase history is a walk along defined transitions
    assert s.phase_visits[0] == (definition.start, s.started_on)
    for (before, on_before), (after, on_after) in zip(s.phase_visits, s.phase_visits[1:], strict=False):
        assert after in {t.to for t in phases[before].transitions}, (before, after)
        assert on_before <= on_after
    assert s.phase_visits[-1] == (s.phase, s.phase_entered_on)
    # tasks
    for task_id, t in s.tasks.items():
        assert task_id == t.id
        assert t.kind in TASK_KINDS
        assert t.status in ("open", "accepted", "declined", "completed", "cancelled")
        assert (t.phase is None) == (t.kind == "rehab_checkpoint")
        if t.is_open:
            assert t.phase in (None, s.phase), f"{t.id} of {t.phase} open in {s.phase}"
            assert t.closed_on is None
        else:
            assert t.closed_on is not None
    # timers
    for timer_id, timer in s.timers.items():
        assert timer_id == timer.id
        assert timer.kind in TIMER_KINDS
        if timer_id.startswith("task:"):
            assert s.tasks[timer.ref or ""].is_open, timer_id
        if timer_id.startswith("phase:"):
            assert timer.ref == s.phase, timer_id
    # facts, consent, decision
    assert set(s.facts) <= set(definition.fact_by_id)
    assert all(type(v) is date for v in s.facts.values())
    assert s.decision in (None, "admitted", "not_admitted", "on_hold")
    if s.consent is not None:
        assert set(s.consent.parties) <= definition.party_ids
        assert s.consent.active == (s.consent.withdrawn_on is None)
    # the phase's length, within its extension limit
    phase = phases[s.phase]
    if not s.closed:
        assert (s.phase_ends_on is not None) == (phase.max_length is not None)
        if phase.extension is not None and s.phase_ends_on is not None:
            assert s.phase_ends_on <= phase.extension.up_to.after(s.phase_entered_on, definition.working_calendar)
    # closing
    assert s.status in ("active", "closed")
    assert s.closed == (s.outcome is not None or s.aborted)
    assert not (s.outcome is not None and s.aborted)
    if s.outcome is not None:
        assert phase.kind is PhaseKind.EXIT
    if s.closed:
        assert s.open_tasks() == []
        assert s.timers == {}
        assert s.closed_on is not None
        assert s.consent is None or not s.consent.active
    else:
        assert s.closed_on is None


def assert_consistent_decision(old: CaseState, result: Decision, now: datetime) -> None:
    applied = {k: v for k, v in old.timers.items() if k not in result.cancel_timers}
    applied.update({t.id: t for t in result.set_timers})
    assert applied == result.state.timers
    assert set(result.cancel_timers) <= set(old.timers)
    for e in result.events:
        assert e.type in EVENT_TYPES
        assert e.at == now


def assert_abort_possible(s: CaseState, now: datetime) -> None:
    reason = d().avbrott_reasons[0]
    result = decide(d(), s, c.AbortCase(reason), now)
    assert isinstance(result, Decision), result
    closed = result.state
    assert closed.closed
    assert closed.aborted
    assert closed.open_tasks() == []
    assert closed.timers == {}
    assert set(result.cancel_timers) == set(s.timers)


def apply(s: CaseState, cmd: c.Command, now: datetime) -> CaseState:
    """One command with every per-step property checked; returns the state after it."""
    before = s.to_json()
    first = decide(d(), s, cmd, now)
    second = decide(d(), CaseState.from_json(before), cmd, now)
    assert first == second, cmd  # deterministic, and independent of the state object's identity
    assert s.to_json() == before, cmd  # the given state is never mutated
    if isinstance(first, Rejected):
        assert first.code in KNOWN_CODES, first
        assert first.message
        return s
    assert_consistent_decision(s, first, now)
    new = first.state
    assert_allowed_state(new)
    assert CaseState.from_json(new.to_json()) == new
    if not new.closed:
        assert_abort_possible(new, now)
    return new


def progress(data: st.DataObject, s: CaseState, now: datetime) -> CaseState:
    """Do what the current phase needs (guards, blocking tasks), then take one of its transitions."""
    today = local(now)
    phase = d().phase_by_id[s.phase]
    if phase.kind is PhaseKind.CONSENT and not s.anonymous:
        s = apply(s, c.RecordConsent(ALL_PARTIES, today), now)
    if phase.kind is PhaseKind.DECISION:
        s = apply(s, c.DecideParticipation(data.draw(st.sampled_from(["admitted"] * 5 + ["not_admitted"]))), now)
    for t in phase.transitions:
        if t.when.fact is not None and t.when.fact not in s.facts:
            s = apply(s, c.RecordFact(t.when.fact, today), now)
    for t in sorted(s.tasks.values(), key=lambda t: t.id):
        if t.is_open and t.blocking and t.phase == s.phase:
            s = apply(s, c.CompleteTask(t.id), now)
    if phase.kind is PhaseKind.EXIT:
        outcome = data.draw(st.sampled_from([o.value for o in d().outcomes]))
        return apply(s, c.ExitCase(outcome, "orsak" if outcome == "övriga_avslutade" else None), now)
    targets = [t.to for t in phase.transitions]
    return apply(s, c.StartPhase(data.draw(st.sampled_from(targets))), now)


def fire_due(s: CaseState, now: datetime) -> CaseState:
    while not s.closed:
        due = sorted((t for t in s.timers.values() if t.at <= now), key=lambda t: (t.at, t.id))
        if not due:
            break
        s = apply(s, c.FireTimer(due[0].id, actor="system"), now)
        assert due[0].id not in s.timers or s.timers[due[0].id] != due[0]
    return s


# --- the properties ---------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(
    data=st.data(),
    start=st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 12, 31)),
    hour=st.integers(0, 23),
    anonymous=st.booleans(),
    steps=st.integers(1, 60),
)
def test_random_command_sequences_stay_within_the_definition(
    data: st.DataObject, start: date, hour: int, anonymous: bool, steps: int
) -> None:
    now = at(start, hour)
    facts = data.draw(st.sampled_from([{}, {"sjukperiod_start": start - timedelta(days=30)}]))
    first = decide(d(), None, c.Refer("c1", "af", anonymous=anonymous, facts=facts), now)
    assert isinstance(first, Decision)
    s = first.state
    assert_allowed_state(s)
    assert CaseState.from_json(s.to_json()) == s
    for _ in range(steps):
        cmd = draw_command(data, s, local(now))
        if cmd == "advance":
            now += timedelta(days=data.draw(st.integers(0, 21)), hours=data.draw(st.integers(0, 23)))
            s = fire_due(s, now)
            continue
        if cmd == "progress":
            s = progress(data, s, now)
            if s.closed:
                break
            continue
        assert isinstance(cmd, c.Command)
        s = apply(s, cmd, now)
        if s.closed:
            # a closed case accepts nothing more
            again = decide(d(), s, cmd, now)
            assert isinstance(again, Rejected)
            assert again.code == "case_closed"
            break
    record_reach(s)


@SETTINGS
@given(data=st.data(), start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30)))
def test_a_case_that_follows_the_process_and_waits_reaches_every_phase_safely(data: st.DataObject, start: date) -> None:
    """Mostly plausible commands, so the walk gets deep: förberedande, arbetsträning, extensions, back again."""
    now = at(start)
    first = decide(d(), None, c.Refer("c1", "fk", facts={"sjukperiod_start": start - timedelta(days=10)}), now)
    assert isinstance(first, Decision)
    s = first.state
    for _ in range(data.draw(st.integers(10, 40))):
        phase = d().phase_by_id[s.phase]
        moves = ["progress"] * 4 + ["work", "wait", "wait", "withdraw", "contact"]
        if phase.extension is not None:
            moves += ["extend"] * 4
        move = data.draw(st.sampled_from(moves))
        if move == "work":
            open_tasks = sorted(t.id for t in s.tasks.values() if t.is_open)
            if open_tasks:
                s = apply(s, c.CompleteTask(data.draw(st.sampled_from(open_tasks))), now)
        elif move == "progress":
            s = progress(data, s, now)
        elif move == "wait":
            now += timedelta(days=data.draw(st.integers(1, 40)), hours=data.draw(st.integers(0, 12)))
            s = fire_due(s, now)
        elif move == "extend":
            s = apply(s, c.ExtendPhase(), now)
        elif move == "contact":
            s = apply(s, c.RecordContact(), now)
        else:
            s = apply(s, c.WithdrawConsent(data.draw(st.sampled_from([None, ("fk",)]))), now)
        if s.closed:
            break
    record_reach(s)


# --- any state through its JSON -----------------------------------------------------------------
# The walks above reach the states the rules make; these draw states field by field, with any
# text, any day and every kind of fact value, to test the JSON on its own.

texts = st.text(max_size=12)
ids = st.text(min_size=1, max_size=12)
days = st.dates()
maybe_days = st.none() | days
instants = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
fact_values = st.one_of(
    days,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
consents = st.builds(Consent, st.lists(ids, max_size=4).map(tuple), days, texts, texts, maybe_days)
task_states = st.builds(
    TaskState,
    id=ids,
    spec=st.none() | ids,
    kind=texts,
    label=texts,
    phase=st.none() | ids,
    responsible=texts,
    party=texts,
    status=st.sampled_from(["open", "accepted", "declined", "completed", "cancelled"]),
    created_on=days,
    due=maybe_days,
    blocking=st.booleans(),
    closed_on=maybe_days,
    reason=st.none() | texts,
    escalated_to=st.none() | texts,
    meeting=st.booleans(),
)
timer_states = st.builds(Timer, ids, instants, texts, st.none() | texts)
case_states = st.builds(
    CaseState,
    case_id=ids,
    definition_id=ids,
    definition_version=st.integers(1, 2**31),
    status=st.sampled_from(["active", "closed"]),
    phase=ids,
    phase_entered_on=days,
    started_on=days,
    anonymous=st.booleans(),
    referred_by=st.none() | ids,
    phase_ends_on=maybe_days,
    phase_visits=st.lists(st.tuples(ids, days), max_size=4),
    consent=st.none() | consents,
    decision=st.none() | texts,
    facts=st.dictionaries(ids, fact_values, max_size=5),
    tasks=st.lists(task_states, max_size=5).map(lambda ts: {t.id: t for t in ts}),
    timers=st.lists(timer_states, max_size=4).map(lambda ts: {t.id: t for t in ts}),
    last_contact_on=maybe_days,
    follow_ups=st.integers(0, 1000),
    global_timers_started=st.lists(ids, max_size=2).map(tuple),
    outcome=st.none() | texts,
    outcome_reason=st.none() | texts,
    aborted=st.booleans(),
    closed_on=maybe_days,
)


def format_1(s: CaseState) -> str:
    """The JSON the core wrote before it had a format version (commit b756f74), written out
    here from that code's to_dict: tasks and timers as positional arrays, date facts marked."""

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    consent = s.consent
    return json.dumps(
        {
            "case_id": s.case_id,
            "definition_id": s.definition_id,
            "definition_version": s.definition_version,
            "status": s.status,
            "phase": s.phase,
            "phase_entered_on": day(s.phase_entered_on),
            "started_on": day(s.started_on),
            "anonymous": s.anonymous,
            "referred_by": s.referred_by,
            "phase_ends_on": day(s.phase_ends_on),
            "phase_visits": [[p, day(d)] for p, d in s.phase_visits],
            "consent": None
            if consent is None
            else {
                "parties": list(consent.parties),
                "given_on": day(consent.given_on),
                "form": consent.form,
                "recorded_by": consent.recorded_by,
                "withdrawn_on": day(consent.withdrawn_on),
            },
            "decision": s.decision,
            "facts": {k: {"date": v.isoformat()} if isinstance(v, date) else v for k, v in s.facts.items()},
            "tasks": [
                [
                    t.id,
                    t.spec,
                    t.kind,
                    t.label,
                    t.phase,
                    t.responsible,
                    t.party,
                    t.status,
                    day(t.created_on),
                    day(t.due),
                    t.blocking,
                    day(t.closed_on),
                    t.reason,
                    t.escalated_to,
                    t.meeting,
                ]  # fmt: skip
                for t in s.tasks.values()
            ],
            "timers": [[t.id, t.at.isoformat(), t.kind, t.ref] for t in s.timers.values()],
            "last_contact_on": day(s.last_contact_on),
            "follow_ups": s.follow_ups,
            "global_timers_started": list(s.global_timers_started),
            "outcome": s.outcome,
            "outcome_reason": s.outcome_reason,
            "aborted": s.aborted,
            "closed_on": day(s.closed_on),
        }
    )


@settings(max_examples=300, deadline=None)
@given(s=case_states)
def test_any_state_survives_its_json_which_names_its_format(s: CaseState) -> None:
    text = s.to_json()
    assert json.loads(text)["format"] == FORMAT
    loaded = CaseState.from_json(text)
    assert loaded == s
    assert {k: type(v) for k, v in loaded.facts.items()} == {k: type(v) for k, v in s.facts.items()}
    assert loaded.to_json() == text


@settings(max_examples=300, deadline=None)
@given(s=case_states)
def test_any_state_written_in_format_1_loads_as_the_same_state(s: CaseState) -> None:
    assert CaseState.from_json(format_1(s)) == s
    assert CaseState.from_json(format_1(s).encode()) == s
