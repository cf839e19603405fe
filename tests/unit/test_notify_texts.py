"""Notification texts: Swedish, and never anything personal."""

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from engine.adapters.notify.webhooks import WebhookVerificationError, encode_body, new_secret, sign, verify
from engine.service.addresses import InvalidEmailAddress, check_secret, normalise_address
from engine.service.mail_message import build_message, message_id
from engine.service.meeting_ics import meeting_invitation, meeting_uid
from engine.service.notify_texts import KINDS, Notice, case_reference, render, render_digest, swedish_date
from engine.service.retry import RetryPolicy

CASE = "3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c"
LINK = f"https://insats.example/arenden/{CASE}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_swedish_text_with_reference_and_link(kind: str) -> None:
    n = Notice(kind, CASE, LINK, task_label="Bekräfta mottagen remiss", due=date(2026, 4, 7), day=90,
               on=date(2026, 7, 29), party_label="Försäkringskassan", phase_label="Kartläggning")
    r = render(n)
    assert r.subject.startswith("[insats] ")
    assert case_reference(CASE) in r.subject
    assert LINK in r.text
    assert "personuppgifter" in r.text


def test_reminder_names_task_and_due_date_in_swedish() -> None:
    r = render(Notice("ReminderDue", CASE, LINK, task_label="Bekräfta mottagen remiss", due=date(2026, 4, 7)))
    assert "Påminnelse" in r.subject
    assert "tisdag 7 april 2026" in r.text


def test_payload_free_text_never_reaches_a_message() -> None:
    from engine.service.notify_texts import notice_from_payload

    payload = {"type": "ConsentWithdrawn", "case_id": CASE, "reason": "Anna Andersson 19800101-1234 depression",
               "parties": ["fk"], "note": "diagnos F32"}
    r = render(notice_from_payload(payload, LINK, party_label="Försäkringskassan"))
    for secret in ("Anna", "19800101", "depression", "F32"):
        assert secret not in r.subject + r.text


def test_swedish_date() -> None:
    assert swedish_date(date(2026, 6, 19)) == "fredag 19 juni 2026"


def test_digest_groups_by_kind() -> None:
    notices = [Notice("ReminderDue", CASE, LINK, task_label="A", due=date(2026, 4, 7)),
               Notice("TaskCreated", CASE, LINK, task_label="B", due=date(2026, 4, 9)),
               Notice("ReminderDue", "ffff0000", LINK, task_label="C", due=date(2026, 4, 8))]
    r = render_digest(date(2026, 4, 1), notices, "https://insats.example/inkorg")
    assert "Påminnelser (2)" in r.text
    assert "Nya uppgifter (1)" in r.text
    assert "(3)" in r.subject


def test_address_validation() -> None:
    assert normalise_address("Anna.H@FK.se") == "Anna.H@fk.se"
    for bad in ("anna", "anna@", "a b@fk.se", "anna@@fk.se"):
        with pytest.raises(InvalidEmailAddress):
            normalise_address(bad)


def test_message_id_comes_from_the_idempotency_key() -> None:
    key = f"{CASE}:12:samordnare"
    r = render(Notice("TaskCreated", CASE, LINK, task_label="X"))
    msg = build_message(sender="insats@kommun.se", to=["a@kommun.se"], rendered=r, idempotency_key=key,
                        date=datetime(2026, 4, 1, 7, tzinfo=UTC))
    assert msg["Message-ID"] == message_id(key) == f"<{CASE}.12.samordnare@insats>"


def test_meeting_invitation_is_stable_and_can_be_moved_and_cancelled() -> None:
    kw = {"case_id": CASE, "task_id": "boka_inskrivningssamtal", "label": "Boka inskrivningssamtal",
          "stamp": datetime(2026, 4, 1, 7, tzinfo=UTC), "organizer": "insats@kommun.se",
          "attendees": ["samordnare@kommun.se"], "link": LINK}
    first = Calendar.from_ical(meeting_invitation(day=date(2026, 4, 8), sequence=1, **kw))
    moved = Calendar.from_ical(meeting_invitation(day=date(2026, 4, 15), sequence=4, **kw))
    cancelled = Calendar.from_ical(meeting_invitation(day=date(2026, 4, 15), sequence=5, cancelled=True, **kw))
    events = [next(iter(c.walk("VEVENT"))) for c in (first, moved, cancelled)]
    assert {str(e["UID"]) for e in events} == {meeting_uid(CASE, "boka_inskrivningssamtal")}
    assert [int(e["SEQUENCE"]) for e in events] == [1, 4, 5]
    assert events[1].decoded("DTSTART") == date(2026, 4, 15)
    assert str(first["METHOD"]) == "REQUEST"
    assert str(cancelled["METHOD"]) == "CANCEL"
    assert str(events[2]["STATUS"]) == "CANCELLED"


def test_standard_webhooks_signature_matches_the_spec_example() -> None:
    # The example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_verify_rejects_tampering_and_old_timestamps() -> None:
    secret = new_secret()
    body = encode_body({"type": "ReminderDue"})
    headers = {"webhook-id": "k1", "webhook-timestamp": "1000", "webhook-signature": sign(secret, "k1", 1000, body)}
    assert verify(secret, headers, body, now=1000)["type"] == "ReminderDue"
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, body + b" ", now=1000)
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, body, now=1000 + 3600)
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), headers, body, now=1000)
    assert json.loads(body) == {"type": "ReminderDue"}


def test_secret_format_is_checked() -> None:
    assert check_secret(new_secret()).startswith("whsec_")
    with pytest.raises(ValueError, match="minst 24 byte"):
        check_secret("whsec_" + base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="whsec_"):
        check_secret("plain-text")


def test_backoff_grows_exponentially_with_injected_jitter_then_dead_letters() -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    fixed = RetryPolicy(max_attempts=4, base_seconds=10)
    assert [fixed.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (10, 20, 40)]
    assert fixed.next_attempt(4, now) is None
    jittered = RetryPolicy(max_attempts=4, base_seconds=10, jitter=lambda: 0.0)
    assert jittered.delay(3) == timedelta(seconds=20)
    capped = RetryPolicy(base_seconds=10, cap_seconds=60)
    assert capped.delay(10) == timedelta(seconds=60)
    assert re.match(r"^\d", str(fixed.next_attempt(1, now)))
