"""Validation: one broken definition per kind of mistake, each reported at the line where it is.

Each case edits a minimal valid definition. The line where the problem must be reported carries
the marker `# <`, so the expected line number is read from the broken text itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.definition import Definition
from engine.core.loader import DefinitionError, Problem, load, loads
from engine.core.validation import check, validate_file, validate_text

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"

MINIMAL = """\
id: mini
version: 1
name: Minimal
parties:
  - id: kommun
    label: Kommunen
  - id: region
    label: Regionen
roles:
  - id: samordnare
    label: Samordnare
    party: kommun
facts:
  - id: startdag
    label: Startdag
    type: date
  - id: anteckning
    label: Anteckning
    type: text
start: inledning
phases:
  - id: inledning
    label: Inledning
    kind: referral
    tasks:
      - id: bekrafta
        label: Bekräfta
        responsible: samordnare
        due: 5 arbetsdagar
        reminders: [2 arbetsdagar]
        escalation:
          to: kommun
          after: 1 arbetsdag
    transitions:
      - to: arbete
        when:
          tasks_done: true
          fact: startdag
          consent_covers: [kommun, region]
          any_of:
            - consent: active
            - anonymous: true
  - id: arbete
    label: Arbete
    kind: work_training
    max_length: 3 månader
    extension:
      step: 3 månader
      up_to: 12 månader
    notify_on_max_length: samordnare
    follow_up:
      every: 4 veckor
      responsible: samordnare
    midpoint_review:
      responsible: region
    tasks:
      - id: planera
        label: Planera
        responsible: region
        due: 10 dagar
        due_from: fact:startdag
      - id: folj_upp
        label: Följ upp
        responsible: kommun
        due: 2 arbetsdagar
        due_from: task:planera
    transitions:
      - to: avslut
  - id: avslut
    label: Avslut
    kind: exit
global_timers:
  no_contact:
    after: 14 dagar
    notify: samordnare
    starts_in: arbete
  max_time:
    after: 18 månader
    notify: kommun
rehabiliteringskedjan:
  fact: startdag
  notify: region
avbrott_reasons: [flytt, sjukdom]
"""


def broken(*edits: tuple[str, str]) -> str:
    text = MINIMAL
    for old, new in edits:
        assert text.count(old) == 1, f"'{old}' must occur exactly once in MINIMAL"
        text = text.replace(old, new)
    return text


def marked_line(text: str) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if "# <" in line]
    assert len(lines) == 1, "each broken definition marks exactly one line"
    return lines[0]


def line_in(text: str, snippet: str) -> int:
    """1-based line where `snippet` (a whole line) stands in `text`."""
    lines = text.splitlines()
    assert lines.count(snippet) == 1
    return lines.index(snippet) + 1


def problems_of(text: str) -> list[Problem]:
    definition, problems = validate_text(text, "mini.yaml")
    assert problems, "the broken definition must be rejected"
    assert definition is None
    return problems


def test_minimal_definition_is_valid() -> None:
    definition, problems = validate_text(MINIMAL, "mini.yaml")
    assert problems == []
    assert isinstance(definition, Definition)
    assert check(definition) == []


@pytest.mark.parametrize("name", ["finsam-insats.yaml", "sip.yaml"])
def test_shipped_definitions_have_no_problems(name: str) -> None:
    definition, problems = validate_file(str(DEFINITIONS / name))
    assert problems == []
    assert definition is not None
    assert check(definition) == []


CASES: dict[str, tuple[str, str]] = {
    # kind: (broken text, words the message must contain)
    "yaml_syntax": (broken(("name: Minimal\n", "name: Minimal: fel  # <\n")), "YAML-syntaxfel"),
    "yaml_tab_indent": (broken(("    label: Regionen\n", "\tlabel: Regionen  # <\n")), "YAML-syntaxfel"),
    "yaml_duplicate_key": (
        broken(("    label: Inledning\n", "    label: Inledning\n    label: Start  # <\n")),
        "två gånger",
    ),
    "unknown_field": (
        broken(("        due: 5 arbetsdagar\n", "        due: 5 arbetsdagar\n        prioritet: hög  # <\n")),
        "okänt fält 'prioritet'",
    ),
    "unknown_top_level_field": (
        broken(("name: Minimal\n", "name: Minimal\nnamn: Minimal  # <\n")),
        "okänt fält 'namn'",
    ),
    "missing_field": (
        broken(("  - id: arbete\n    label: Arbete\n", "  - id: arbete  # <\n")),
        "fältet 'label' saknas",
    ),
    "bad_int": (broken(("version: 1\n", "version: ett  # <\n")), "'version' ska vara ett heltal"),
    "bad_bool": (broken(("          tasks_done: true\n", "          tasks_done: ja  # <\n")), "true eller false"),
    "bad_kind": (broken(("    kind: referral\n", "    kind: remiss  # <\n")), "ogiltigt värde 'remiss'"),
    "bad_list": (broken(("        reminders: [2 arbetsdagar]\n", "        reminders: 2 arbetsdagar  # <\n")), "lista"),
    "bad_mapping": (broken(("        escalation:\n", "        escalation: kommun  # <\n        x:\n")), "mappning"),
    "bad_id": (broken(("  - id: avslut\n", "  - id: Avslut  # <\n")), "'Avslut' är inte ett giltigt id"),
    "unknown_task_responsible": (
        broken(("        responsible: samordnare\n", "        responsible: samordnar  # <\n")),
        "okänd part eller roll 'samordnar'",
    ),
    "unknown_escalation_to": (
        broken(("          to: kommun\n", "          to: teamledare  # <\n")),
        "okänd part eller roll 'teamledare'",
    ),
    "unknown_follow_up_responsible": (
        broken(
            (
                "      every: 4 veckor\n      responsible: samordnare\n",
                "      every: 4 veckor\n      responsible: handledare  # <\n",
            )
        ),
        "okänd part eller roll 'handledare'",
    ),
    "unknown_midpoint_responsible": (
        broken(
            (
                "    midpoint_review:\n      responsible: region\n",
                "    midpoint_review:\n      responsible: regionen  # <\n",
            )
        ),
        "okänd part eller roll 'regionen'",
    ),
    "unknown_global_timer_notify": (
        broken(("    notify: kommun\n", "    notify: forbundet  # <\n")),
        "okänd part eller roll 'forbundet'",
    ),
    "unknown_rehab_notify": (broken(("  notify: region\n", "  notify: fk  # <\n")), "okänd part eller roll 'fk'"),
    "rehab_default_notify_without_fk": (
        broken(("rehabiliteringskedjan:\n", "rehabiliteringskedjan:  # <\n"), ("  notify: region\n", "")),
        "'fk' är ingen part",
    ),
    "unknown_role_party": (broken(("    party: kommun\n", "    party: kommunen  # <\n")), "okänd part 'kommunen'"),
    "role_party_is_a_role": (
        broken(
            ("    party: kommun\n", "    party: kommun\n  - id: biträde\n    label: B\n    party: samordnare  # <\n")
        ),
        "som är en roll",
    ),
    "unknown_notify_on_max_length": (
        broken(("    notify_on_max_length: samordnare\n", "    notify_on_max_length: chef  # <\n")),
        "okänd part eller roll 'chef'",
    ),
    "consent_covers_unknown_party": (
        broken(("          consent_covers: [kommun, region]\n", "          consent_covers: [kommun, fk]  # <\n")),
        "okänd part 'fk'",
    ),
    "consent_covers_a_role": (
        broken(("          consent_covers: [kommun, region]\n", "          consent_covers: [samordnare]  # <\n")),
        "'samordnare' är en roll",
    ),
    "transition_to_unknown_phase": (
        broken(("      - to: avslut\n", "      - to: avsluta  # <\n")),
        "övergång till okänd fas 'avsluta'",
    ),
    "unknown_start_phase": (
        broken(("start: inledning\n", "start: inledningen  # <\n")),
        "startfasen 'inledningen' finns inte",
    ),
    "duplicate_phase": (
        broken(("  - id: avslut\n    label: Avslut\n", "  - id: arbete  # <\n    label: Avslut\n")),
        "fasen 'arbete' finns redan",
    ),
    "duplicate_task_across_phases": (
        broken(("      - id: folj_upp\n", "      - id: bekrafta  # <\n")),
        "uppgiften 'bekrafta' finns redan (första gången på rad 26)",
    ),
    "duplicate_party": (
        broken(("  - id: region\n    label: Regionen\n", "  - id: kommun  # <\n    label: Regionen\n")),
        "parten 'kommun' finns redan",
    ),
    "duplicate_role": (
        broken(
            ("    party: kommun\n", "    party: kommun\n  - id: samordnare  # <\n    label: S2\n    party: region\n")
        ),
        "rollen 'samordnare' finns redan",
    ),
    "duplicate_fact": (
        broken(("  - id: anteckning\n", "  - id: startdag  # <\n")),
        "faktumet 'startdag' finns redan",
    ),
    "role_id_equal_to_party_id": (
        broken(("  - id: samordnare\n", "  - id: region  # <\n")),
        "samma id som en part",
    ),
    "unreachable_phase": (
        broken(
            (
                "  - id: avslut\n",
                "  - id: sidospar  # <\n    label: S\n    kind: assessment\n"
                "    transitions:\n      - to: avslut\n  - id: avslut\n",
            )
        ),
        "Fasen ”S” kan inte nås från startfasen ”Inledning”",
    ),
    "phase_without_path_to_exit": (
        broken(
            ("      - to: arbete\n", "      - to: fastnad\n      - to: arbete\n"),
            ("  - id: avslut\n", "  - id: fastnad  # <\n    label: F\n    kind: assessment\n  - id: avslut\n"),
        ),
        "Från fasen ”F” finns ingen väg till en avslutsfas",
    ),
    "no_exit_phase": (
        broken(("phases:\n", "phases:  # <\n"), ("    kind: exit\n", "    kind: assessment\n")),
        "ingen avslutsfas",
    ),
    "guard_unknown_fact": (
        broken(("          fact: startdag\n", "          fact: startdatum  # <\n")),
        "okänt faktum 'startdatum'",
    ),
    "guard_any_of_unknown_fact": (
        broken(("            - consent: active\n", "            - fact: saknas  # <\n")),
        "okänt faktum 'saknas'",
    ),
    "due_from_unknown_fact": (
        broken(("        due_from: fact:startdag\n", "        due_from: fact:slutdag  # <\n")),
        "okänt faktum 'slutdag'",
    ),
    "due_from_fact_not_a_date": (
        broken(("        due_from: fact:startdag\n", "        due_from: fact:anteckning  # <\n")),
        "'anteckning' är av typen text",
    ),
    "due_from_task_of_other_phase": (
        broken(("        due_from: task:planera\n", "        due_from: task:bekrafta  # <\n")),
        "'bekrafta', som inte finns i samma fas",
    ),
    "due_from_unknown_anchor": (
        broken(("        due_from: task:planera\n", "        due_from: imorgon  # <\n")),
        "okänd startpunkt för fristen 'imorgon'",
    ),
    "due_from_tasks_in_a_circle": (
        broken(("        due_from: fact:startdag\n", "        due_from: task:folj_upp  # <\n")),
        "i en cirkel",
    ),
    "rehab_unknown_fact": (
        broken(("  fact: startdag\n  notify", "  fact: sjukdag  # <\n  notify")),
        "okänt faktum 'sjukdag'",
    ),
    "rehab_fact_not_a_date": (
        broken(("  fact: startdag\n  notify", "  fact: anteckning  # <\n  notify")),
        "här behövs ett datum",
    ),
    "duration_bad_unit": (
        broken(("        due: 5 arbetsdagar\n", "        due: 5 arbetsdar  # <\n")),
        "okänd enhet 'arbetsdar'",
    ),
    "duration_in_words": (
        broken(("        due: 10 dagar\n", "        due: fem dagar  # <\n")),
        "'fem dagar' är ingen giltig tidsangivelse",
    ),
    "duration_not_text": (broken(("    max_length: 3 månader\n", "    max_length: 3  # <\n")), "skrivs som text"),
    "extension_up_to_shorter_than_max_length": (
        broken(("      up_to: 12 månader\n", "      up_to: 2 månader  # <\n")),
        "inte längre än fasens max_length '3 månader'",
    ),
    "extension_without_max_length": (
        broken(
            ("    max_length: 3 månader\n", ""),
            ("    extension:\n", "    extension:  # <\n"),
            ("    notify_on_max_length: samordnare\n", ""),
            ("    midpoint_review:\n      responsible: region\n", ""),
        ),
        "förlängning (extension) kräver att fasen har max_length",
    ),
    "reminder_not_shorter_than_due": (
        broken(("        reminders: [2 arbetsdagar]\n", "        reminders: [5 arbetsdagar]  # <\n")),
        "påminnelsen '5 arbetsdagar' före förfallodagen är inte kortare än fristen '5 arbetsdagar'",
    ),
    "reminders_without_due": (
        broken(
            ("        due: 5 arbetsdagar\n        reminders:", "        reminders:"),
            ("        reminders: [2 arbetsdagar]\n", "        reminders: [2 arbetsdagar]  # <\n"),
        ),
        "påminnelser kräver en frist",
    ),
    "global_timer_starts_in_unknown_phase": (
        broken(("    starts_in: arbete\n", "    starts_in: arbetstraning  # <\n")),
        "timern startar i okänd fas 'arbetstraning'",
    ),
    "avbrott_reason_duplicated": (
        broken(("avbrott_reasons: [flytt, sjukdom]\n", "avbrott_reasons: [flytt, sjukdom, flytt]  # <\n")),
        "avbrottsorsaken 'flytt' står två gånger",
    ),
    "zero_follow_up_interval": (broken(("      every: 4 veckor\n", "      every: 0 veckor  # <\n")), "längre än 0"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_kind_of_mistake_is_reported_at_its_line(kind: str) -> None:
    text, words = CASES[kind]
    line = marked_line(text)
    problems = problems_of(text)
    matching = [p for p in problems if words in p.message]
    assert matching, f"no problem says {words!r}: {[str(p) for p in problems]}"
    assert [p.line for p in matching] == [line] * len(matching), [str(p) for p in problems]
    assert all(p.file == "mini.yaml" for p in problems)


def test_a_definition_with_several_problems_reports_all_of_them() -> None:
    text = broken(
        ("        due: 5 arbetsdagar\n", "        due: 5 arbetsdar\n        prioritet: hög\n"),
        ("      - to: avslut\n", "      - to: avsluta\n"),
        ("  notify: region\n", "  notify: fk\n"),
        ("avbrott_reasons: [flytt, sjukdom]\n", "avbrott_reasons: [flytt, flytt]\n"),
        ("start: inledning\n", "start: borjan\n"),
    )
    problems = problems_of(text)
    messages = "\n".join(str(p) for p in problems)
    for words in (
        "okänd enhet 'arbetsdar'",
        "okänt fält 'prioritet'",
        "övergång till okänd fas 'avsluta'",
        "okänd part eller roll 'fk'",
        "avbrottsorsaken 'flytt' står två gånger",
        "startfasen 'borjan' finns inte",
    ):
        assert words in messages
    assert all(p.line is not None for p in problems)
    causes = [p for p in problems if p.cause is None]
    assert [p.line for p in causes] == sorted(p.line or 0 for p in causes), "causes come in file order"
    for i, p in enumerate(problems):  # each follow-on right after its cause (or its cause's other follow-ons)
        if p.cause is not None:
            assert p.cause in problems[:i]
            assert all(q.cause is p.cause for q in problems[problems.index(p.cause) + 1 : i])


def test_structural_errors_are_all_reported_with_their_lines() -> None:
    text = broken(
        ("version: 1\n", "version: ett\n"),
        ("    kind: referral\n", "    kind: remiss\n"),
        ("      every: 4 veckor\n", "      every: varje vecka\n"),
    )
    lines = {p.line: p.message for p in problems_of(text)}
    expected = {
        line_in(text, "version: ett"),
        line_in(text, "    kind: remiss"),
        line_in(text, "      every: varje vecka"),
    }
    assert set(lines) == expected, lines


def test_loads_raises_definition_error_with_every_problem() -> None:
    text = broken(("      - to: avslut\n", "      - to: avsluta\n"), ("start: inledning\n", "start: x\n"))
    with pytest.raises(DefinitionError) as info:
        loads(text, "mini.yaml")
    to_line = line_in(text, "      - to: avsluta")
    assert {p.line for p in info.value.problems} >= {line_in(text, "start: x"), to_line}
    assert f"mini.yaml:{to_line}: Fasen ”Arbete”: övergång till okänd fas 'avsluta'" in str(info.value)


def test_problem_names_the_path_inside_the_definition() -> None:
    text = broken(("      - to: avslut\n", "      - to: avsluta\n"))
    problem = next(p for p in problems_of(text) if "avsluta" in p.message)
    assert problem.path == "phases[1].transitions[0].to"
    assert str(problem) == (
        f"mini.yaml:{line_in(text, '      - to: avsluta')}: Fasen ”Arbete”: övergång till okänd fas 'avsluta' "
        "(menade du 'avslut'?) (phases[1].transitions[0].to)"
    )


def test_unknown_reference_suggests_the_close_name() -> None:
    text = broken(("      - to: avslut\n", "      - to: avslt\n"))
    assert any("menade du 'avslut'?" in p.message for p in problems_of(text))


# --- what is not a definition at all ------------------------------------------------------


def test_empty_file_is_reported() -> None:
    problems = problems_of("")
    assert [(p.line, "tom" in p.message) for p in problems] == [(1, True)]


def test_file_with_only_comments_is_reported_as_empty() -> None:
    assert "tom" in problems_of("# bara en kommentar\n")[0].message


def test_top_level_list_is_reported() -> None:
    problems = problems_of("- id: mini\n- version: 1\n")
    assert len(problems) == 1
    assert "mappning" in problems[0].message


def test_top_level_scalar_is_reported() -> None:
    assert "mappning" in problems_of("bara text\n")[0].message


def test_missing_file_is_reported(tmp_path: Path) -> None:
    definition, problems = validate_file(str(tmp_path / "finns-inte.yaml"))
    assert definition is None
    assert [p.message for p in problems] == ["filen finns inte"]


def test_directory_is_reported(tmp_path: Path) -> None:
    _, problems = validate_file(str(tmp_path))
    assert [p.message for p in problems] == ["är en katalog, inte en fil"]


def test_file_not_in_utf8_is_reported_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: mini\nname: Förbund\n".encode("latin-1"))
    _, problems = validate_file(str(path))
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "UTF-8" in problems[0].message
    with pytest.raises(DefinitionError):
        load(path)


def test_control_character_is_reported(tmp_path: Path) -> None:
    problems = problems_of("id: mini\nname: a\x07b\n")
    assert problems[0].line == 2
    assert "otillåtet tecken" in problems[0].message


def test_utf8_with_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert validate_file(str(path))[1] == []


# --- YAML 1.2: ja/nej/on/off are text -----------------------------------------------------


def test_yaml_words_that_yaml_1_1_made_booleans_stay_text() -> None:
    text = broken(
        ("avbrott_reasons: [flytt, sjukdom]\n", "avbrott_reasons: [ja, nej, on, off, yes, no]\n"),
        ("    label: Inledning\n", "    label: on\n"),
    )
    definition = loads(text)
    assert definition.avbrott_reasons == ["ja", "nej", "on", "off", "yes", "no"]
    assert definition.phases[0].label == "on"


@pytest.mark.parametrize("word", ["ja", "nej", "on", "off", "yes", "no"])
def test_boolean_fields_take_only_true_or_false(word: str) -> None:
    text = broken(("        due: 10 dagar\n", f"        due: 10 dagar\n        blocking: {word}  # <\n"))
    problems = problems_of(text)
    assert [(p.line, p.message) for p in problems] == [
        (marked_line(text), f"Fasen ”Arbete”, uppgiften ”Planera”: 'blocking' ska vara true eller false, inte '{word}'")
    ]


def test_true_and_false_are_booleans() -> None:
    text = broken(
        ("        due: 10 dagar\n", "        due: 10 dagar\n        blocking: false\n        meeting: true\n")
    )
    task = loads(text).phases[1].tasks[0]
    assert (task.blocking, task.meeting) == (False, True)


# --- robustness: a user's mistake never raises ----------------------------------------------


@pytest.mark.parametrize("name", ["finsam-insats.yaml", "sip.yaml"])
def test_deleting_lines_of_a_shipped_definition_gives_problems_not_exceptions(name: str) -> None:
    """About 30 lines spread over the file (parsing takes ~40 ms), each deleted alone or with all after it."""
    lines = (DEFINITIONS / name).read_text(encoding="utf-8").splitlines(keepends=True)
    rejected = tried = 0
    for n in range(3, len(lines), max(5, len(lines) // 30)):
        for text in ("".join(lines[:n] + lines[n + 1 :]), "".join(lines[:n])):
            definition, problems = validate_text(text, name)
            assert (definition is None) == bool(problems)
            tried += 1
            rejected += bool(problems)
            for p in problems:
                assert p.line is None or 1 <= p.line <= len(lines)
                assert p.message
    assert rejected > tried // 3


def test_a_definitions_labels_are_plain_json_by_id() -> None:
    import json

    finsam = load(DEFINITIONS / "finsam-insats.yaml")
    labels = finsam.labels()
    assert json.loads(json.dumps(labels)) == labels
    assert labels["phases"]["kartlaggning"] == finsam.phase_by_id["kartlaggning"].label
    assert labels["parties"]["fk"] == "Försäkringskassan"
    assert set(labels) == {"phases", "tasks", "parties", "roles", "facts"}
