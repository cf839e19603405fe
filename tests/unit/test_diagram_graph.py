"""The diagram's graph description (engine.core.diagram): the admin's words, never an id or a cut
label; guards in words, back edges, timers where they act, the exits with their outcomes; and the
service's cache (a fake renderer: no Graphviz here)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.core.definition import Definition, Guard
from engine.core.diagram import Graph, build_graph, guard_words
from engine.core.diagram_dot import finish_svg, to_dot
from engine.core.loader import load, loads
from engine.service.diagrams import DiagramService
from tests.diagram_kit import generated_definition
from tests.fakes import FakeDiagramRenderer

ROOT = Path(__file__).resolve().parents[2]
FINSAM = load(ROOT / "definitions" / "finsam-insats.yaml")
SIP = load(ROOT / "definitions" / "sip.yaml")


def ids_of(d: Definition) -> set[str]:
    """The definition's ids that are not also plain words (an id with an underscore, or unlike its label)."""
    ids = {p.id for p in d.phases} | set(d.task_by_id) | set(d.fact_by_id) | set(d.role_by_id)
    ids |= set(d.avbrott_reasons) | {"not_admitted", "admitted", "on_hold", "tasks_done", "consent_covers"}
    return {i for i in ids if "_" in i}


def texts(g: Graph) -> list[str]:
    return [t for n in g.nodes for t in n.texts()] + [s.guard for s in g.steps] + g.notes


def test_no_text_of_the_shipped_diagrams_shows_an_id_or_a_cut_label() -> None:
    for d in (FINSAM, SIP, loads(generated_definition(40))):
        g = build_graph(d)
        words = " ".join(texts(g))
        assert "…" not in words
        for ident in ids_of(d):
            assert not re.search(rf"\b{re.escape(ident)}\b", words), f"{d.id}: id {ident!r} shown"


def test_guards_read_as_sentences_with_the_labels_of_facts_decisions_and_parties() -> None:
    steps = {(s.source, s.target): s for s in build_graph(FINSAM).steps}
    assert steps[("Inskrivning", "Kartläggning")].guard == (
        "när fasens uppgift är klar och inskrivningssamtal hållet är registrerat"
    )
    assert steps[("Beslut om deltagande", "Inskrivning")].guard == (
        "när fasens uppgift är klar och beslut om deltagande är Antagen"
    )
    assert "beslut om deltagande är Ej antagen" in steps[("Beslut om deltagande", "Avslut")].guard
    assert steps[("Samtycke", "Beslut om deltagande")].guard.endswith("(samtycke finns eller deltagaren är anonym)")
    assert steps[("Kartläggning", "Avslut")].guard == "när samordnaren väljer det"
    sip = {(s.source, s.target): s for s in build_graph(SIP).steps}
    assert "samtycket omfattar Kommunen (socialtjänst) och Regionen (hälso- och sjukvård)" in (
        sip[("Samtycke till SIP", "SIP-möte och plan")].guard
    )


def test_back_edges_are_the_ways_back_and_drawn_against_the_ranking() -> None:
    g = build_graph(FINSAM)
    back = {(s.source, s.target) for s in g.steps if s.back}
    assert back == {("Förberedande insats", "Kartläggning"), ("Arbetsträning", "Förberedande insats")}
    assert sum(1 for e in g.edges if e.kind == "back") == 2 * len(back)


def test_timers_and_rehabiliteringskedjan_are_shown_where_they_act() -> None:
    g = build_graph(FINSAM)
    by_title = {n.title: n for n in g.nodes if n.kind != "guard"}
    training = [x.text for x in by_title["Arbetsträning"].lines if x.style == "timer"]
    assert training == [
        "Längst 3 månader; sedan meddelas Samordnare",
        "Kan förlängas 3 månader i taget, högst 12 månader",
        "Uppföljning arbetsträning var 4 veckor (Handledare arbetsträning, inom 5 arbetsdagar)",
        "Halvtidsavstämning arbetsträning vid halva tiden (Samordnare, inom 5 arbetsdagar)",
    ]
    details = [x.text for x in by_title["Aktualisering"].lines]
    assert "Påminnelse 2 arbetsdagar före förfallodagen" in details
    assert "Eskaleras till Teamledare 2 arbetsdagar efter förfallodagen" in details
    intake = by_title["Inskrivning"].key
    timers = by_title["Bevakning av hela insatsen"]
    assert (intake, timers.key) in g.same_rank  # drawn beside the phase the timers start in
    assert [x.text for x in timers.lines] == [
        "Ingen kontakt med deltagaren på 14 dagar: larm till Samordnare",
        "Insatsen har pågått 18 månader: meddela Teamledare",
        "Räknas från fasen Inskrivning",
    ]
    rehab = [x.text for x in by_title["Rehabiliteringskedjan"].lines]
    assert (
        rehab[0]
        == "Försäkringskassans kontrollpunkter dag 90, dag 180 och dag 365, räknat från sjukperiodens första dag"
    )
    assert (by_title["Aktualisering"].key, by_title["Rehabiliteringskedjan"].key) in g.same_rank


def test_start_and_exit_with_outcomes_and_avbrott() -> None:
    g = build_graph(FINSAM)
    by_title = {n.title: n for n in g.nodes if n.kind != "guard"}
    assert by_title["Start"].kind == "start"
    assert by_title["Avslut"].kind == "exit"
    end = [x.text for x in by_title["Ärendet avslutas"].lines]
    assert end == ["med utfall:", "Förvärvsarbete", "Studier", "Arbetssökande", "Övriga avslutade (orsak krävs)",
                   "Felregistrering"]  # fmt: skip
    assert (
        "Orsaker: egen begäran, sjukdom, flytt, annan insats, ingen kontakt och övrigt" in by_title["Avbrott"].texts()
    )


GUARDS = st.recursive(
    st.builds(
        Guard,
        consent=st.sampled_from([None, "active"]),
        consent_covers=st.sampled_from([None, ["af"], ["kommun", "region"]]),
        decision=st.sampled_from([None, "admitted", "not_admitted", "on_hold"]),
        tasks_done=st.sampled_from([None, True]),
        fact=st.sampled_from([None, "inskrivningssamtal_hallet", "sjukperiod_start"]),
        anonymous=st.sampled_from([None, True, False]),
    ),
    lambda inner: st.builds(Guard, any_of=st.lists(inner, min_size=1, max_size=3)),
    max_leaves=6,
)


@given(GUARDS)
def test_any_guard_reads_in_words_without_codes(g: Guard) -> None:
    words = " och ".join(guard_words(FINSAM, g, FINSAM.phase_by_id["inskrivning"]))
    for code in ("admitted", "on_hold", "_", "active", "True", "None", "kommun,", "af "):
        assert code not in words
    if g.decision == "admitted":
        assert "beslut om deltagande är Antagen" in words
    if g.fact == "inskrivningssamtal_hallet":
        assert "inskrivningssamtal hållet är registrerat" in words


def test_dot_text_names_nodes_by_keys_and_the_svg_drops_them() -> None:
    g = build_graph(FINSAM)
    dot = to_dot(g)
    assert "kartlaggning" not in dot
    assert "inskrivningssamtal_hallet" not in dot
    raw = '<svg width="8pt" height="9pt" viewBox="0.00 0.00 8.00 9.00"><!-- n0 --><g><title>n0</title></g></svg>'
    svg = finish_svg(raw, g)
    assert "<title>n0</title>" not in svg
    assert "<!--" not in svg
    assert '<title id="diagram-title">Processdiagram: Individuell insats (FINSAM) (version 1)</title>' in svg
    assert 'role="img"' in svg
    assert 'viewBox="0.00 0.00 8.00 9.00"' in svg


def test_the_service_lays_out_a_definition_version_once_and_unsaved_text_again() -> None:
    renderer = FakeDiagramRenderer()
    diagrams = DiagramService(renderer, max_entries=2)
    first = diagrams.svg(FINSAM)
    assert diagrams.svg(FINSAM) == first
    assert len(renderer.inputs) == 1
    text = (ROOT / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
    edited = loads(text.replace("label: Arbetsträning\n", "label: Arbetsträning på arbetsplats\n", 1))
    assert (edited.id, edited.version) == (FINSAM.id, FINSAM.version)
    diagrams.svg(edited)  # the editor's unsaved text under the same id and version
    assert len(renderer.inputs) == 2
    assert "Arbetsträning på arbetsplats" in renderer.inputs[1]
    diagrams.svg(SIP)  # a third drawing: the least recently used (FINSAM) leaves the cache
    diagrams.svg(FINSAM)
    assert len(renderer.inputs) == 4
