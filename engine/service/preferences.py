"""The e-mail choice staff save on the pages' settings page, as the dispatcher needs it.

The contact directory (engine/service/contacts.py, a YAML file) says which addresses receive
notifications for a role or party. A person with a web account may also give their own address
and choose one e-mail per event, a daily digest or no e-mail (`web_accounts.email` /
`notify_mode`, saved by `AccountService.set_notifications`). This module merges the two:

- an account receives a notification addressed to one of its roles (within its own party when
  the recipient role belongs to a known party) or to its party (handläggare and samordnare);
- `event` → one e-mail per event, `digest` → the daily digest, `none` → no e-mail;
- the person's own choice wins over the directory for the same address, so choosing `none` or
  `digest` also covers an address the directory lists;
- förbund admins and auditors never receive case notifications (they see no cases);
- a notification about an assigned task (issue 14) goes to the assignee's own address by their
  choice, or to whoever stands in for them (substitutes) — not to the role's or party's addresses;
  an assignee without an account address leaves it to those as before.

Contacts are staff, never participants. Nothing here sends anything; the dispatcher does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.service.contacts import EmailContact

CASE_STAFF_KINDS = frozenset({"handlaggare", "samordnare"})


@dataclass(frozen=True)
class AccountPreference:
    user_id: str
    kind: str
    party: str | None
    roles: tuple[str, ...]
    email: str | None
    mode: str  # event | digest | none

    def receives(self, recipient: str, party: str | None) -> bool:
        """Is this person one of the people a notification to `recipient` is for?"""
        if self.kind not in CASE_STAFF_KINDS:
            return False
        if recipient in self.roles:
            return party is None or self.party == party
        return self.party is not None and self.party == recipient


class EmailPreferences:
    """Every account's choice, read once per routing batch (`OutboxBatch.account_preferences`), asked
    once per notification."""

    def __init__(self, accounts: Iterable[AccountPreference]) -> None:
        everyone = list(accounts)
        self._by_user = {a.user_id: a for a in everyone}
        self._accounts = [a for a in everyone if a.email]
        self._by_address = {_key(a.email): a for a in self._accounts if a.email}

    def personal_contacts(self, people: Sequence[str]) -> list[EmailContact] | None:
        """A task's assignee (or whoever stands in for them): their own address by their own choice;
        None when none of them has an account with an address (the role's or party's addresses then)."""
        found = [a for p in people if (a := self._by_user.get(p)) is not None and a.email]
        if not found:
            return None
        return [EmailContact(a.email, a.mode == "digest") for a in found if a.email and a.mode != "none"]

    def email_contacts(
        self, recipient: str, party: str | None, directory: Sequence[EmailContact]
    ) -> list[EmailContact]:
        """The addresses that get a notification to `recipient` (a role or party id of the case's
        definition; `party` is the party that role belongs to, or None when unknown), given the
        directory's contacts for it. One entry per address, directory order first."""
        out: dict[str, EmailContact] = {}
        for contact in directory:
            own = self._by_address.get(_key(contact.address))
            if own is None:
                out.setdefault(_key(contact.address), contact)
            elif own.mode != "none":
                out.setdefault(_key(contact.address), EmailContact(contact.address, own.mode == "digest"))
        for account in self._accounts:
            if account.email is None or account.mode == "none" or not account.receives(recipient, party):
                continue
            out.setdefault(_key(account.email), EmailContact(account.email, account.mode == "digest"))
        return list(out.values())


def _key(address: str) -> str:
    """Both sides were normalised when saved (email-validator); compare them case-insensitively."""
    return address.strip().lower()


__all__ = ["AccountPreference", "EmailPreferences"]
