"""The case team in the pages over HTTP (SQLite, the real app): the Team section (members by
name and role, add by name, remove after a confirmation, hand over), each task's assignee,
priority and follow-up date, our case number (a number another case of the party has is refused
in words, never a 500), nödåtkomst from the hidden-case 404 (the same page for a case that does
not exist), and substitutes on the settings page (the stand-in sees the absent person's cases).
The same in a real browser: tests/integration/test_pages_team_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PASSWORD, PagesApp, build, csrf_of, personnummer
from tests.integration.test_pages_case import post, refer, signed_in, view

SARA = "sara.samordnare@kommun"
NILS = "nils.handlaggare@kommun"
VERA = "vera.handlaggare@kommun"
COLLEAGUES = {NILS: "Nils Nord", VERA: "Vera Väst"}
_n = [300]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("pages-team")))
    for user_id, name in COLLEAGUES.items():
        p.app.state.web.accounts.save(user_id, kind="handlaggare", party="kommun", name=name, password=PASSWORD)
    yield p
    p.close()


def new_case(pages: PagesApp) -> tuple[object, str]:
    _n[0] += 1
    c = signed_in(pages, SARA)
    path, _page = refer(c, personnummer(1984, 3, 3, _n[0]), "Tea Team")
    return c, path


def section(page: str, section_id: str) -> str:
    """The text of one section of the page (tags out), as a reader sees it."""
    m = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert m is not None, f"no section {section_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))


def test_the_team_section_adds_by_name_removes_after_confirmation(pages: PagesApp) -> None:
    c, path = new_case(pages)
    page = view(c, path)
    team = section(page, "team")
    assert "Sara Lind" in team
    assert "Samordnare" in team
    assert '<option value="nils.handlaggare@kommun">Nils Nord</option>' in page  # picked by name
    assert "@kommun" not in team  # never an id in the text
    page = post(c, f"{path}/team/lagg-till", {"anvandare": NILS}, section="team")
    assert "Nils Nord är med i teamet." in page
    assert "Nils Nord" in section(page, "team")
    confirm = view(c, f"{path}/team/{NILS}/ta-bort")
    assert "Nils Nord tas bort ur ärendets team." in confirm
    assert "Nils Nord" in section(view(c, path), "team")  # the confirmation page changed nothing
    r = c.post(f"{path}/team/{NILS}/ta-bort", data={"csrf_token": csrf_of(confirm), "bekrafta": "ja"})
    assert r.status_code == 303
    assert "Nils Nord" not in section(view(c, path).split('<option value="nils')[0] + "</section>", "team")
    r = c.post(f"{path}/team/lagg-till", data={"csrf_token": csrf_of(confirm), "anvandare": "okand@kommun"})
    assert r.status_code == 303
    assert "Välj en kollega i din part." in view(c, path)  # never a typed id


def test_tasks_show_the_assignee_priority_and_follow_up_and_change_them(pages: PagesApp) -> None:
    c, path = new_case(pages)
    post(c, f"{path}/team/lagg-till", {"anvandare": NILS})
    page = view(c, path)
    task = re.search(r'action="/arenden/[^/]+/uppgifter/([^/"]+)/prioritet"', page)
    assert task is not None
    tid = task.group(1)
    base = f"{path}/uppgifter/{tid}"
    page = post(c, f"{base}/tilldela", {"anvandare": NILS}, section="uppgifter")
    row = re.search(rf'<tr[^>]*data-task="{tid}".*?</tr>', page, re.S)
    assert row is not None
    assert "Tilldelad: Nils Nord" in row.group(0)
    page = post(c, f"{base}/ta", {}, section="uppgifter")
    assert "Tilldelad: Sara Lind" in re.search(rf'data-task="{tid}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    page = post(c, f"{base}/slapp", {}, section="uppgifter")
    assert "Ingen tilldelad" in re.search(rf'data-task="{tid}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    page = post(c, f"{base}/prioritet", {"prioritet": "high"})
    page = post(c, f"{base}/paborja", {"datum": "2026-06-20"})
    row_text = re.search(rf'data-task="{tid}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<span class="tag">Hög</span>' in row_text
    assert "Påbörja senast" in row_text
    assert "2026-06-20" in row_text
    page = post(c, f"{base}/paborja", {"datum": "20 juni"})
    assert "Ange datum som ÅÅÅÅ-MM-DD." in page


def test_our_reference_is_set_and_one_taken_by_another_case_is_refused_in_words(db_url: str, tmp_path: Path) -> None:
    """On SQLite and PostgreSQL: the unique index (party, reference) is never a 500."""
    pages = build(tmp_path, db_url)
    try:
        _reference_taken(pages)
    finally:
        pages.close()


def _reference_taken(pages: PagesApp) -> None:
    c, first = new_case(pages)
    _c2, second = new_case(pages)
    page = post(c, f"{first}/diarienummer", {"diarienummer": "KS 2026/41"}, section="team")
    assert "KS 2026/41" in section(page, "team")
    r = c.post(f"{second}/diarienummer", data={"csrf_token": csrf_of(page), "diarienummer": "KS 2026/41"})
    assert r.status_code == 303  # never a 500
    page = view(c, second)
    assert "Diarienumret används redan i ett annat ärende hos er part" in section(page, "team")
    assert "Inget diarienummer registrerat för din part." in section(page, "team")


def test_emergency_access_from_the_hidden_case_page(pages: PagesApp) -> None:
    _c, path = new_case(pages)
    nils = signed_in(pages, NILS)
    hidden = nils.get(path)
    assert hidden.status_code == 404
    missing = nils.get("/arenden/00000000000000000000000000000000")
    assert missing.status_code == 404
    for r, case_path in ((hidden, path), (missing, "/arenden/00000000000000000000000000000000")):
        assert "Ärendet finns inte, eller så är du inte med i ärendets team." in r.text
        assert f'href="{case_path}/nodatkomst"' in r.text  # offered alike: existence is not told
    form = view(nils, f"{path}/nodatkomst")
    assert "loggkontrollen" in form
    token = csrf_of(form)
    short = nils.post(f"{path}/nodatkomst", data={"csrf_token": token, "skal": "kort", "bekrafta": "ja"})
    assert short.status_code == 422
    assert "minst 10 tecken" in short.text
    r = nils.post("/arenden/00000000000000000000000000000000/nodatkomst",
                  data={"csrf_token": token, "skal": "Deltagaren ringde om sitt ärende", "bekrafta": "ja"})  # fmt: skip
    assert r.status_code == 404
    assert "Nödåtkomst kan inte ges" in r.text
    r = nils.post(f"{path}/nodatkomst", data={"csrf_token": token, "skal": "Deltagaren ringde om sitt ärende",
                                              "bekrafta": "ja"})  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == path
    page = view(nils, path)
    assert "Du har nödåtkomst till detta ärende till 2026-06-16 09:30" in page


def test_substitutes_on_the_settings_page_and_the_stand_in_sees_the_cases(pages: PagesApp) -> None:
    c, path = new_case(pages)
    vera = signed_in(pages, VERA)
    assert vera.get(path).status_code == 404  # not on the team
    page = view(c, "/installningar")
    assert '<option value="vera.handlaggare@kommun">Vera Väst</option>' in page
    assert "Du har ingen ersättare." in page
    r = c.post("/installningar/ersattare", data={"csrf_token": csrf_of(page), "ersattare": VERA,
                                                 "fran": "2026-06-15", "till": "2026-06-30"})  # fmt: skip
    assert r.status_code == 303
    page = view(c, "/installningar")
    assert "Vera Väst är din ersättare 2026-06-15–2026-06-30." in page
    assert "gäller nu" in section(page, "ersattare")
    assert vera.get(path).status_code == 200  # the pages' caller carries the stand-ins (as the API's)
    r = c.post("/installningar/ersattare", data={"csrf_token": csrf_of(page), "ersattare": VERA,
                                                 "fran": "2026-06-30", "till": "2026-06-01"})  # fmt: skip
    assert "Perioden ska sluta samma dag eller efter att den börjar" in view(c, "/installningar")
    link = re.search(r'href="(/installningar/ersattare/\d+/ta-bort)"', page)
    assert link is not None
    confirm = view(c, link.group(1))
    assert "Vera Väst är inte längre din ersättare" in confirm
    r = c.post(link.group(1), data={"csrf_token": csrf_of(confirm), "bekrafta": "ja"})
    assert r.status_code == 303
    assert "Du har ingen ersättare." in view(c, "/installningar")
    assert vera.get(path).status_code == 404


def test_a_task_of_another_party_offers_no_team_forms(pages: PagesApp) -> None:
    """access.may_act's `task:<id>`: only the task's own party gets claim, assign, priority, follow-up."""
    _n[0] += 1
    case = pages.to_inskrivning(pages.refer(personnummer(1984, 3, 3, _n[0]), "Otto Part"))
    af_tasks = [t.task_id for t in case.tasks if t.party == "af" and t.status in ("open", "accepted")]
    kommun_tasks = [t.task_id for t in case.tasks if t.party == "kommun" and t.status in ("open", "accepted")]
    assert af_tasks
    sara = view(signed_in(pages, SARA), f"/arenden/{case.id}")
    anna = view(signed_in(pages, "anna.handlaggare@af"), f"/arenden/{case.id}")
    for tid in af_tasks:
        assert f"/uppgifter/{tid}/prioritet" not in sara
        assert f"/uppgifter/{tid}/prioritet" in anna
    for tid in kommun_tasks:
        assert f"/uppgifter/{tid}/prioritet" in sara
        assert f"/uppgifter/{tid}/prioritet" not in anna
