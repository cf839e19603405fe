"""Real parts for notification tests: an SMTP server (aiosmtpd) and a webhook receiver on 127.0.0.1.

Import the fixtures into a test module: `from tests.integration.notify_kit import smtp_server_fixture  # noqa: F401`.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from engine.adapters.notify.webhooks import WebhookVerificationError, verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    envelope_from: str
    rcpt: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if self.box.reply_delay:
            await asyncio.sleep(self.box.reply_delay)  # a slow server: the reply to DATA comes late
        if self.box.on_message is not None:
            self.box.on_message()
        with self.box.lock:
            self.box.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), msg))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a fixed port, so it can be stopped ("down for a while") and started again.

    `reply_delay` (seconds) makes it slow to accept each message; `on_message` runs as it accepts
    one (a test moves its fake clock there: each message "takes" that much time)."""

    def __init__(self, port: int | None = None, tls_context: ssl.SSLContext | None = None,
                 starttls_context: ssl.SSLContext | None = None, credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self._tls = tls_context
        self._starttls = starttls_context
        self._credentials = credentials
        self._controller: Controller | None = None
        self.reply_delay = 0.0
        self.on_message: Callable[[], object] | None = None

    def _auth(self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self._credentials is not None and (
            auth_data.login.decode(), auth_data.password.decode()) == self._credentials
        return AuthResult(success=ok)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self._tls is not None:
            kwargs["ssl_context"] = self._tls
        if self._starttls is not None:
            kwargs["tls_context"] = self._starttls
            kwargs["require_starttls"] = True
        if self._credentials is not None:
            kwargs["authenticator"] = self._auth
            kwargs["auth_required"] = True
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def self_signed_tls(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh certificate for 127.0.0.1, and a client context trusting it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


# --- webhook receiver --------------------------------------------------------------------


@dataclass
class Delivery:
    webhook_id: str
    timestamp: int
    payload: dict[str, Any]
    path: str


@dataclass
class WebhookReceiver:
    """A real HTTP server that checks Standard Webhooks signatures. `mode`: ok | error | slow."""

    secret: str
    port: int = 0
    mode: str = "ok"
    deliveries: list[Delivery] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    attempts: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/insats"

    def unique_ids(self) -> set[str]:
        with self.lock:
            return {d.webhook_id for d in self.deliveries}


def _make_handler(rx: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with rx.lock:
                rx.attempts += 1
                mode = rx.mode
            if mode == "slow":
                rx.release.wait(5)
            try:
                payload = verify(rx.secret, dict(self.headers.items()), body, now=time.time())
            except WebhookVerificationError as exc:
                with rx.lock:
                    rx.rejected.append(str(exc))
                self._answer(401)
                return
            if mode == "error":
                self._answer(500)
                return
            with rx.lock:
                rx.deliveries.append(
                    Delivery(self.headers["webhook-id"], int(self.headers["webhook-timestamp"]), payload, self.path)
                )
            self._answer(204)

        def _answer(self, status: int) -> None:
            try:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass

    return Handler


@pytest.fixture(name="webhook_receiver")
def webhook_receiver_fixture() -> Iterator[WebhookReceiver]:
    from engine.adapters.notify.webhooks import new_secret

    rx = WebhookReceiver(secret=new_secret())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(rx))
    server.daemon_threads = True
    rx.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rx
    finally:
        rx.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def payload_json(d: Delivery) -> str:
    return json.dumps(d.payload, sort_keys=True)
