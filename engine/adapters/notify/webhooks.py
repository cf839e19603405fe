"""Webhooks to a party's case system, signed as Standard Webhooks (standardwebhooks.com).

Headers: `webhook-id` (the outbox idempotency key: the same on every retry, so the receiver
can drop duplicates), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature` = `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the
party's secret (`whsec_<base64 key>`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from engine.service.addresses import SECRET_PREFIX, secret_key
from engine.service.outbox_ports import DeliveryError

TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(ValueError):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> dict[str, Any]:
    """What a receiver does: check timestamp and signature, return the JSON payload."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
        signatures = lower["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise WebhookVerificationError("missing or malformed webhook headers") from exc
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("timestamp outside tolerance")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures:
        version, _, sig = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            payload: dict[str, Any] = json.loads(body)
            return payload
    raise WebhookVerificationError("no matching signature")


def encode_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class WebhookError(DeliveryError):
    def __init__(self, message: str, status: int | None = None, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.status = status


@dataclass(frozen=True)
class WebhookResult:
    status: int


class WebhookSender:
    """Posts one signed delivery; retries are the dispatcher's business (see `RetryPolicy`)."""

    def __init__(
        self,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._wall_clock = wall_clock
        """The signature timestamp is transport time (the receiver's replay check), not case time."""

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, secret: str, msg_id: str, payload: Mapping[str, Any]) -> WebhookResult:
        body = encode_body(payload)
        timestamp = int(self._wall_clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body),
            "user-agent": "insats-webhooks/1",
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise WebhookError(f"timeout: {url}") from exc
        except httpx.HTTPError as exc:
            raise WebhookError(f"{type(exc).__name__}: {url}") from exc
        if 200 <= response.status_code < 300:
            return WebhookResult(response.status_code)
        # 410 Gone: the receiver asks us to stop (Standard Webhooks); everything else may pass.
        raise WebhookError(f"HTTP {response.status_code}", response.status_code, permanent=response.status_code == 410)
