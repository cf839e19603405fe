"""The e-mail choice saved on the settings page decides what the dispatcher sends to whom."""

from __future__ import annotations

from engine.adapters.store.outbox_store import load_account_preferences
from engine.bootstrap import Services
from engine.service.accounts import AccountOut, AccountService
from engine.service.contacts import EmailContact
from engine.service.preferences import EmailPreferences


def _accounts(services: Services) -> AccountService:
    accounts = services.accounts
    staff = {
        "sara.samordnare@kommun": ("samordnare", "kommun", ("samordnare", "teamledare")),
        "kalle.samordnare@kommun": ("samordnare", "kommun", ("samordnare",)),
        "fredrik.handlaggare@fk": ("handlaggare", "fk", ()),
        "rut.rehab@region": ("handlaggare", "region", ("rehabkoordinator",)),
        "frida.admin@forbund": ("forbund_admin", None, ()),
    }
    for user_id, (kind, party, roles) in staff.items():
        accounts.save(user_id, kind=kind, party=party, roles=roles, name=user_id)
    return accounts


def _get(accounts: AccountService, user_id: str) -> AccountOut:
    account = accounts.get(user_id)
    assert account is not None
    return account


def _prefs(services: Services) -> EmailPreferences:
    with services.uow() as uow:
        return EmailPreferences(load_account_preferences(uow.session))


def test_each_choice_on_the_settings_page_reaches_the_dispatcher(services: Services) -> None:
    accounts = _accounts(services)
    sara = _get(accounts, "sara.samordnare@kommun")
    kalle = _get(accounts, "kalle.samordnare@kommun")
    fredrik = _get(accounts, "fredrik.handlaggare@fk")
    admin = _get(accounts, "frida.admin@forbund")
    accounts.set_notifications(sara.caller(), "sara@kommun.example", "digest")
    accounts.set_notifications(kalle.caller(), "kalle@kommun.example", "none")
    accounts.set_notifications(fredrik.caller(), "Fredrik@FK.example", "event")
    accounts.set_notifications(admin.caller(), "frida@forbund.example", "event")
    prefs = _prefs(services)

    # a role: Sara (digest) yes, Kalle chose none; the directory's team address stays
    team = [EmailContact("team@kommun.example")]
    assert prefs.email_contacts("samordnare", "kommun", team) == [
        EmailContact("team@kommun.example"),
        EmailContact("sara@kommun.example", digest=True),
    ]
    # a role of another party's definition does not reach the kommun's samordnare
    assert prefs.email_contacts("samordnare", "region", []) == []
    # a party: its handläggare, one e-mail per event; never the förbund admin
    assert prefs.email_contacts("fk", "fk", []) == [EmailContact("Fredrik@fk.example")]  # domain normalised
    assert all("frida" not in c.address for r in ("fk", "kommun", "samordnare") for c in prefs.email_contacts(r, r, []))


def test_the_persons_own_choice_wins_over_the_directory_for_their_address(services: Services) -> None:
    accounts = _accounts(services)
    kalle = _get(accounts, "kalle.samordnare@kommun")
    rut = _get(accounts, "rut.rehab@region")
    accounts.set_notifications(kalle.caller(), "kalle@kommun.example", "none")
    accounts.set_notifications(rut.caller(), "rut@region.example", "digest")
    prefs = _prefs(services)
    directory = [EmailContact("KALLE@kommun.example"), EmailContact("rut@region.example")]
    assert prefs.email_contacts("teamledare", "kommun", directory) == [EmailContact("rut@region.example", digest=True)]


def test_without_web_accounts_the_directory_is_used_as_it_is(services: Services) -> None:
    directory = [EmailContact("a@kommun.example"), EmailContact("b@kommun.example", digest=True)]
    assert _prefs(services).email_contacts("samordnare", "kommun", directory) == directory
