"""Saving and the editor's forms keep the admin's YAML: only the changed lines differ."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.loader import loads
from engine.service.definition_forms import TaskFields, edit_global_timers, edit_phase_length, edit_task
from engine.service.yaml_edit import set_version

DEFS = Path(__file__).resolve().parents[2] / "definitions"
SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in sorted(DEFS.glob("*.yaml"))}


def changed(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    """The (removed, added) lines of each hunk, by a line diff without heuristics."""
    a, b = before.splitlines(), after.splitlines()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


MESSY = """# Admin's own layout: lists not indented, a wrapped description, trailing spaces
id: egen
version: 4
name: Egen process
description: >
  En beskrivning som admin har radbrutit
  för hand, på två rader.
parties:
- id: af
  label: Arbetsförmedlingen
start: a
phases:
- id: a
  label: Början
  kind: referral
  transitions:
  -   to: b
      when: {tasks_done: true}
- id: b
  label: Slut
  kind: exit
"""


def test_setting_the_version_changes_only_the_version_line_of_an_admins_own_layout() -> None:
    out = set_version(MESSY, 9)
    assert changed(MESSY, out) == [(["version: 4"], ["version: 9"])]
    assert out.replace("version: 9", "version: 4") == MESSY


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_setting_the_version_of_a_shipped_definition_changes_one_line(name: str) -> None:
    out = set_version(SHIPPED[name], 12)
    assert changed(SHIPPED[name], out) == [(["version: 1"], ["version: 12"])]
    assert loads(out).version == 12


def test_setting_the_same_version_returns_the_text_byte_for_byte() -> None:
    assert set_version(MESSY, 4) is MESSY


def _first_task(name: str) -> tuple[str, str, dict[str, object]]:
    raw = loads(SHIPPED[name])
    phase = next(p for p in raw.phases if p.tasks)
    return phase.id, phase.tasks[0].id, phase.tasks[0].model_dump()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_task_form_changes_only_the_lines_of_the_fields_changed(name: str) -> None:
    phase_id, task_id, task = _first_task(name)
    fields = TaskFields(
        label="Ny rubrik", responsible=str(task["responsible"]), due="2 veckor",
        reminders=tuple(str(r) for r in task["reminders"]),  # type: ignore[attr-defined]
        escalation_to=str(task["escalation"]["to"]) if task["escalation"] else "",  # type: ignore[index]
        escalation_after=str(task["escalation"]["after"]) if task["escalation"] else "",  # type: ignore[index]
        blocking=bool(task["blocking"]),
    )  # fmt: skip
    out = edit_task(SHIPPED[name], phase_id, task_id, fields)
    hunks = changed(SHIPPED[name], out)
    removed = [line.strip() for r, _ in hunks for line in r]
    added = [line.strip() for _, a in hunks for line in a]
    assert added == ["label: Ny rubrik", "due: 2 veckor"]
    assert removed[0].startswith("label: ")
    assert removed[1].startswith("due: ")
    edited = loads(out)
    assert edited.task_by_id[task_id][1].label == "Ny rubrik"
    assert str(edited.task_by_id[task_id][1].due) == "2 veckor"


def test_the_task_form_adds_and_removes_optional_keys_in_place() -> None:
    text = SHIPPED["finsam-insats.yaml"]
    fields = TaskFields(label="Bekräfta mottagen remiss och kontakta deltagaren", responsible="samordnare",
                        due="5 arbetsdagar", reminders=("2 arbetsdagar", "1 arbetsdag"), blocking=False)  # fmt: skip
    out = edit_task(text, "aktualisering", "bekrafta_remiss", fields)
    assert changed(text, out) == [
        (["        reminders: [2 arbetsdagar]", "        escalation:", "          to: teamledare",
          "          after: 2 arbetsdagar"],
         ["        reminders: [2 arbetsdagar, 1 arbetsdag]", "        blocking: false"]),
    ]  # fmt: skip
    task = loads(out).task_by_id["bekrafta_remiss"][1]
    assert task.escalation is None
    assert task.blocking is False
    assert len(task.reminders) == 2


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_phase_form_changes_only_the_length_lines(name: str) -> None:
    raw = loads(SHIPPED[name])
    phase = next(p for p in raw.phases if p.max_length is not None and p.extension is not None)
    assert phase.extension is not None
    out = edit_phase_length(SHIPPED[name], phase.id, "5 månader", str(phase.extension.step), "9 månader")
    hunks = changed(SHIPPED[name], out)
    assert [[x.strip() for x in a] for _, a in hunks] == [["max_length: 5 månader"], ["up_to: 9 månader"]]
    assert str(loads(out).phase_by_id[phase.id].max_length) == "5 månader"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_timers_form_changes_only_the_after_line(name: str) -> None:
    raw = loads(SHIPPED[name])
    nc = raw.global_timers.no_contact
    mt = raw.global_timers.max_time
    assert nc is not None
    assert mt is not None
    timers = {
        "no_contact": {"after": "21 dagar", "notify": nc.notify, "starts_in": nc.starts_in or ""},
        "max_time": {"after": str(mt.after), "notify": mt.notify, "starts_in": mt.starts_in or ""},
    }
    out = edit_global_timers(SHIPPED[name], timers)
    assert [[x.strip() for x in a] for _, a in changed(SHIPPED[name], out)] == [["after: 21 dagar"]]


def test_turning_a_timer_off_removes_its_block_and_keeps_the_blank_line_after_it() -> None:
    text = SHIPPED["finsam-insats.yaml"]
    timers = {"no_contact": {"after": "14 dagar", "notify": "samordnare", "starts_in": "inskrivning"},
              "max_time": {"after": "", "notify": "", "starts_in": ""}}  # fmt: skip
    out = edit_global_timers(text, timers)
    assert changed(text, out) == [
        (["  max_time:", "    after: 18 månader", "    notify: teamledare", "    starts_in: inskrivning"], [])
    ]
    assert loads(out).global_timers.max_time is None


@settings(deadline=None, max_examples=25)
@given(st.integers(min_value=2, max_value=10**6), st.sampled_from(["  ", "\t", ""]), st.sampled_from([0, 2, 4]))
def test_any_version_in_any_list_layout_changes_only_the_version_line(version: int, trail: str, indent: int) -> None:
    pad = " " * indent
    text = MESSY.replace("  label: Arbetsförmedlingen    ", "  label: Arbetsförmedlingen" + trail).replace(
        "\n- ", "\n" + pad + "- "
    ).replace("\n  kind", "\n" + pad + "  kind").replace("\n  label", "\n" + pad + "  label")
    text = text.replace("\n  transitions", "\n" + pad + "  transitions").replace("\n  -   to", "\n" + pad + "  -   to")
    text = text.replace("\n      when", "\n" + pad + "      when").replace("\n  id:", "\n" + pad + "  id:")
    out = set_version(text, version)
    assert changed(text, out) == [(["version: 4"], [f"version: {version}"])]
