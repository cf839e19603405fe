"""Checks on what a contact is registered with: an e-mail address and a webhook secret.

Pure (no DNS, no network): the contact directory validates with these when a contact is
registered, and the webhook adapter reads the key out of a secret the same way.
"""

from __future__ import annotations

import base64

from email_validator import EmailNotValidError, validate_email

SECRET_PREFIX = "whsec_"


class InvalidEmailAddress(ValueError):
    """The address cannot receive e-mail; the message is in Swedish for the person who typed it."""


def normalise_address(address: str) -> str:
    """Validate an address when a user or party contact is registered (syntax only, no DNS)."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(f"Ogiltig e-postadress '{address}': {exc}") from None


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (Standard Webhooks)."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ValueError("webhook secret must be whsec_<base64>") from exc


def check_secret(secret: str) -> str:
    """Validate a secret when a party registers its endpoint (at least 24 bytes of key)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret_key(secret)) < 24:
        raise ValueError("Hemligheten ska vara whsec_<base64> med minst 24 byte nyckel")
    return secret
