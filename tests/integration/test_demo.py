"""`make run`'s demo data: Skatteverket's test personnummer only, and a banner that shows the
web-page passwords (created at start, not at the first visit to the login page)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api import demo
from api.serve import _print_access
from engine.bootstrap import Services
from engine.core.identity import parse_personnummer
from tests.integration.pages_kit import START, build


def test_demo_persons_are_skatteverkets_test_numbers_and_valid() -> None:
    numbers = [pnr for pnr, _ in demo.DEMO_PERSONS]
    assert numbers[0] == "191212121212"  # Tolvan Tolvansson
    assert dict(demo.DEMO_PERSONS)["191212121212"] == "Tolvan Tolvansson"
    for pnr in numbers:
        person = parse_personnummer(pnr, START.date())  # Luhn, date, not a samordningsnummer
        assert person.number == pnr
        assert not person.coordination
        # the published test series: 1912-12-12 1212 and födelsenummer 238-239 for the 1980s
        assert pnr == "191212121212" or pnr[8:11] in {"238", "239"}


def test_demo_cases_use_only_the_demo_persons(services: Services) -> None:
    made = demo.create_demo_cases(services, services.clock().date())
    assert len(made) == 6
    sara = demo.identity(demo.SAMORDNARE)
    shown = {
        case.person.personnummer
        for case in (services.cases.get_case(sara, m.id) for m in made)
        if case.person is not None and case.person.personnummer
    }
    assert shown  # named cases under consent show their (test) personnummer
    assert shown <= {pnr for pnr, _ in demo.DEMO_PERSONS}


def test_the_start_banner_shows_the_web_passwords(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = build(tmp_path)  # has accounts already: the passwords of first start cannot be known
    try:
        assert demo.web_passwords(pages.app, tmp_path / "keys") == {}
    finally:
        pages.close()

    from api.app import create_app
    from engine.adapters.store.migrate import upgrade
    from engine.settings import Settings
    from tests.fakes import FakeClock

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    settings = Settings(database_url=url, key_dir=tmp_path / "fresh-keys")
    app = create_app(settings, clock=FakeClock(START))
    try:
        passwords = demo.web_passwords(app, settings.key_dir)
        humans = {i.client_id for i in demo.DEMO_IDENTITIES if i.kind != "party_system"}
        assert set(passwords) == humans
        stored = json.loads((settings.key_dir / demo.WEB_PASSWORDS_FILE).read_text(encoding="utf-8"))
        assert stored == passwords
        for user_id, password in passwords.items():
            assert app.state.web.accounts.authenticate(user_id, password) is not None
        assert demo.web_passwords(app, settings.key_dir) == passwords  # a restart shows the same ones

        _print_access("http://127.0.0.1:8000", app.state.authenticator, settings, passwords)
        out = capsys.readouterr().out
        assert "http://127.0.0.1:8000/logga-in" in out
        for user_id, password in passwords.items():
            assert f"{user_id:25} lösenord / password: {password}" in out
    finally:
        app.state.services.close()
