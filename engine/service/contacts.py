"""Who receives notifications: e-mail addresses per role or party, webhook endpoints per party.

Contacts are staff and systems, never participants. Addresses are validated when registered
(`email-validator`), webhook secrets must be `whsec_<base64>`. The directory is loaded from a
YAML file (settings `contacts_file`) at start-up, or filled in code:

```yaml
email:
  samordnare: [{address: samordnare@kommun.se}]
  teamledare: [{address: teamledare@kommun.se, digest: true}]   # one daily e-mail instead
  fk: [{address: rehab@fk.se}]
webhooks:
  fk: {url: https://fk.example/hooks/insats, secret: whsec_...}
```
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.service.addresses import check_secret, normalise_address


@dataclass(frozen=True)
class EmailContact:
    address: str
    digest: bool = False


@dataclass(frozen=True)
class WebhookEndpoint:
    url: str
    secret: str


class ContactDirectory:
    def __init__(self) -> None:
        self._emails: dict[str, list[EmailContact]] = {}
        self._webhooks: dict[str, WebhookEndpoint] = {}
        self._lock = threading.Lock()

    def register_email(self, recipient: str, address: str, digest: bool = False) -> EmailContact:
        contact = EmailContact(normalise_address(address), digest)
        with self._lock:
            current = [c for c in self._emails.get(recipient, []) if c.address != contact.address]
            self._emails[recipient] = [*current, contact]
        return contact

    def register_webhook(self, party: str, url: str, secret: str) -> WebhookEndpoint:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"Ogiltig webhook-adress '{url}'")
        endpoint = WebhookEndpoint(url, check_secret(secret))
        with self._lock:
            self._webhooks[party] = endpoint
        return endpoint

    def emails(self, recipient: str) -> list[EmailContact]:
        return list(self._emails.get(recipient, ()))

    def webhook(self, party: str) -> WebhookEndpoint | None:
        return self._webhooks.get(party)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ContactDirectory:
        directory = cls()
        for recipient, entries in (data.get("email") or {}).items():
            for entry in entries:
                directory.register_email(str(recipient), str(entry["address"]), bool(entry.get("digest", False)))
        for party, hook in (data.get("webhooks") or {}).items():
            directory.register_webhook(str(party), str(hook["url"]), str(hook["secret"]))
        return directory

    @classmethod
    def from_file(cls, path: str | Path) -> ContactDirectory:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8")) or {}
        return cls.from_mapping(data)
