"""The notifications page without a browser: each person sees what their e-mails say, for their
roles and party only, with the unread count in the menu; marking as read is a POST answered with a
redirect, per person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PNR_ALVA, PNR_BO, PagesApp, build, caller, csrf_of
from tests.integration.test_pages import signed_in


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("aviseringar")))
    p.to_inskrivning(p.refer(PNR_ALVA, "Alva Exempel"))
    p.refer(PNR_BO, "Bo Hemlig", consent=("kommun",))
    yield p
    p.close()


def badge(html: str) -> int:
    m = re.search(r'Aviseringar <span class="badge" aria-label="(\d+) olästa">', html)
    return int(m.group(1)) if m else 0


def test_each_person_sees_the_texts_of_their_own_notifications(pages: PagesApp) -> None:
    sara = pages.services.notifications.list(caller("sara.samordnare@kommun"), limit=100)
    anna = pages.services.notifications.list(caller("anna.handlaggare@af"), limit=100)
    rut = pages.services.notifications.list(caller("rut.rehab@region"), limit=100)
    assert sara.total >= 4
    assert anna.total == 1
    assert rut.total == 0
    assert not {i.id for i in sara.items} & {i.id for i in anna.items}
    assert "Delta i inskrivningssamtalet" in anna.items[0].subject
    # the very text of the e-mail (notify_texts.render), without the subject's [insats] prefix
    item = anna.items[0]
    assert item.text.startswith(f"Du har fått en ny uppgift i ärende {item.case_ref}: Delta i inskrivningssamtalet.")
    assert f"Öppna ärendet: http://127.0.0.1:8000/arenden/{item.case_id}" in item.text
    assert "Meddelandet innehåller inga personuppgifter" in item.text
    admin = pages.services.notifications.list(caller("frida.admin@forbund"))
    assert admin.total == 0
    c = signed_in(pages, "anna.handlaggare@af")
    html = c.get("/aviseringar").text
    assert badge(html) == 1
    assert "Delta i inskrivningssamtalet" in html
    assert "Alva" not in html
    assert PNR_ALVA not in html
    assert "Bo Hemlig" not in html
    assert "Boka inskrivningssamtal" not in html  # the samordnare's, not hers


def test_marking_as_read_redirects_and_counts_down_per_person(pages: PagesApp) -> None:
    c = signed_in(pages, "sara.samordnare@kommun")
    html = c.get("/aviseringar").text
    before = badge(html)
    assert before >= 4
    first = re.search(r'name="id" value="(\d+)"', html)
    assert first is not None
    r = c.post("/aviseringar/las", data={"csrf_token": csrf_of(html), "id": first.group(1), "tillbaka": "/aviseringar"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/aviseringar#avisering-{first.group(1)}"
    html = c.get("/aviseringar").text
    assert badge(html) == before - 1
    assert "Aviseringen är markerad som läst." in html
    unread = c.get("/aviseringar?visa=olasta").text
    assert f'id="avisering-{first.group(1)}"' not in unread
    # someone else's notification cannot be marked through her
    anna = pages.services.notifications.list(caller("anna.handlaggare@af"))
    r = c.post("/aviseringar/las", data={"csrf_token": csrf_of(html), "id": str(anna.items[0].id)})
    assert r.status_code == 303
    assert pages.services.notifications.unread(caller("anna.handlaggare@af")) == 1
    r = c.post("/aviseringar/las", data={"csrf_token": csrf_of(html), "alla": "1", "tillbaka": "https://elak.example/"})
    assert r.status_code == 303
    assert r.headers["location"] == "/aviseringar"  # never off the site
    html = c.get("/aviseringar").text
    assert badge(html) == 0
    assert "Inga olästa aviseringar" in html
    assert pages.services.notifications.unread(caller("anna.handlaggare@af")) == 1


def test_notifications_are_for_case_staff(pages: PagesApp) -> None:
    c = signed_in(pages, "frida.admin@forbund")
    assert c.get("/aviseringar").status_code == 403
    menu = c.get("/installningar").text.split('aria-label="Huvudmeny"')[1].split("</nav>")[0]
    assert "/aviseringar" not in menu
    assert "Inställningar" in menu
