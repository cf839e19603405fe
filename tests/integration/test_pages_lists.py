"""Mina uppgifter and Mina ärenden without a browser: the filters, search by what the user sees,
paging, saved views (kept per person, deleted only when confirmed), labels instead of ids, and the
redirect back to the row acted on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core import commands as c
from tests.integration.pages_kit import PagesApp, build, caller, csrf_of, personnummer
from tests.integration.test_pages import client, signed_in

SARA = "sara.samordnare@kommun"
ANNA = "anna.handlaggare@af"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("lists")))
    yield p
    p.close()


def rows(html: str, attr: str = "data-task") -> int:
    return len(re.findall(rf'<tr [^>]*{attr}="', html))


def test_filters_search_and_pages_of_my_tasks(pages: PagesApp) -> None:
    made = [pages.refer(personnummer(1960 + n, 1 + n % 12, 1 + n, 400 + n), f"Person{n:02d} Lista") for n in range(23)]
    sara = signed_in(pages, SARA)
    html = sara.get("/uppgifter?assignee=any").text
    assert rows(html) == 20  # a page
    assert "Sida 1 av 2" in html
    assert rows(sara.get("/uppgifter?assignee=any&page=2").text) >= 3
    found = sara.get("/uppgifter?assignee=any&sok=person07").text
    assert rows(found) == 1
    assert "Person07 Lista" in found
    assert rows(sara.get(f"/uppgifter?assignee=any&sok={made[3].id[:8]}").text) == 1  # the reference shown
    # labels, never ids: the role and the phase by name, dates in words
    assert '<td data-label="Ansvarig">Samordnare</td>' in html
    assert '<td data-label="Ansvarig">samordnare' not in html
    assert "Aktualisering" in html
    assert re.search(r"om \d+ arbetsdag(ar)?, \w+dag \d+ \w+", html)
    assert rows(sara.get("/uppgifter?assignee=any&status=due_today").text) == 0
    assert rows(sara.get("/uppgifter?assignee=any&status=overdue").text) == 0
    assert rows(sara.get("/uppgifter?assignee=any&priority=high").text) == 0
    pages.clock.advance(days=10)
    try:
        assert rows(sara.get("/uppgifter?assignee=any&status=overdue").text) == 20
    finally:
        pages.clock.advance(days=-10)
    # nonsense in the query string is ignored, never a 500
    assert sara.get("/uppgifter?assignee=alla&status=x&sort=y&phase=z&page=-3").status_code == 200
    assert sara.get("/arenden?scope=x&status=y&overdue=z&page=0").status_code == 200


def test_saved_views_are_saved_opened_and_deleted_only_when_confirmed(pages: PagesApp) -> None:
    sara = signed_in(pages, SARA)
    token = csrf_of(sara.get("/uppgifter").text)
    r = sara.post("/vyer", data={"csrf_token": token, "lista": "tasks", "namn": "Försenade hos mig",
                                 "assignee": "me", "status": "overdue", "tillbaka": "/uppgifter"})  # fmt: skip
    assert r.status_code == 303
    html = sara.get(r.headers["location"]).text
    assert "Vyn ”Försenade hos mig” är sparad." in html
    assert 'href="/uppgifter?status=overdue&amp;assignee=me"' in html
    again = sara.post("/vyer", data={"csrf_token": token, "lista": "tasks", "namn": "Försenade hos mig"})
    assert "Du har redan en vy som heter" in sara.get(again.headers["location"]).text
    view = pages.services.views.list(caller(SARA), "tasks").items[0]
    # without the confirmation nothing is deleted
    r = sara.post(f"/vyer/{view.id}/ta-bort", data={"csrf_token": token, "lista": "tasks"})
    assert "Kryssa i att du vill ta bort vyn." in sara.get(r.headers["location"]).text
    assert len(pages.services.views.list(caller(SARA), "tasks").items) == 1
    # another person cannot delete it
    anna = signed_in(pages, ANNA)
    anna_token = csrf_of(anna.get("/uppgifter").text)
    r = anna.post(f"/vyer/{view.id}/ta-bort", data={"csrf_token": anna_token, "lista": "tasks", "bekrafta": "ja"})
    assert "Vyn finns inte" in anna.get(r.headers["location"]).text
    r = sara.post(f"/vyer/{view.id}/ta-bort", data={"csrf_token": token, "lista": "tasks", "bekrafta": "ja"})
    assert "Vyn är borttagen." in sara.get(r.headers["location"]).text
    assert pages.services.views.list(caller(SARA), "tasks").items == []
    r = sara.post("/vyer", data={"csrf_token": token, "lista": "cases", "namn": "Försenade", "overdue": "true"})
    assert r.headers["location"] == "/arenden"
    assert 'href="/arenden?overdue=true"' in sara.get("/arenden").text
    # no session and no CSRF token: to the sign-in page (an expired session's form lands there), nothing saved
    r = client(pages).post("/vyer", data={"lista": "tasks", "namn": "x"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/logga-in")
    assert [v.name for v in pages.services.views.list(caller(SARA), "tasks").items] == []


def test_an_action_comes_back_to_its_row_and_my_cases_lists_the_team(pages: PagesApp) -> None:
    case = pages.to_inskrivning(pages.refer(personnummer(1971, 3, 3, 771), "Jon Rad", ("af", "kommun"), team=False))
    anna = signed_in(pages, ANNA)
    html = anna.get("/uppgifter").text
    anchor = f'id="uppgift-{case.id}-delta_inskrivningssamtal"'
    assert anchor in html
    assert "Ta uppgiften" in html
    token = csrf_of(html)
    r = anna.post(f"/uppgifter/{case.id}/delta_inskrivningssamtal/ta",
                  data={"csrf_token": token, "tillbaka": "/uppgifter?status=open"})  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == f"/uppgifter?status=open#uppgift-{case.id}-delta_inskrivningssamtal"
    html = anna.get("/uppgifter?status=open").text
    assert "Du har tagit uppgiften." in html
    assert "Lämna tillbaka till min part" in html
    # she joined the team by taking the task (searched: the module's other cases fill more than a page)
    mine = anna.get("/arenden?sok=jon+rad").text
    assert f'data-case="{case.id}"' in mine
    assert "Jon Rad" in mine
    other = pages.services.cases.execute(caller(ANNA), case.id, c.UnclaimTask(task_id="delta_inskrivningssamtal"),
                                         expected_version=None)  # fmt: skip
    assert all(t.assignee is None for t in other.tasks if t.task_id == "delta_inskrivningssamtal")
