"""Property: the history tells every party that loses consent, whichever command took it away.

Issue 13: a new consent that covered fewer parties took access from the others silently. After
any sequence of RecordConsent and WithdrawConsent, every party that was covered once and is not
now has a ConsentWithdrawn event naming it (and notifying it) since it was last covered, and
every ConsentWithdrawn says truly which parties the consent still covers.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import commands as c
from engine.core.events import Rejected

from .casekit import ALL_PARTIES, Case

MON = date(2026, 3, 2)
PARTIES = st.lists(st.sampled_from([*ALL_PARTIES, "skatteverket"]), max_size=5).map(tuple)

consent_commands = st.one_of(
    st.builds(
        c.RecordConsent,
        parties=PARTIES,
        given_on=st.sampled_from([MON - timedelta(days=3), MON, MON + timedelta(days=1)]),
        form=st.sampled_from(["skriftligt", "muntligt", ""]),
        actor=st.sampled_from(["af", "region", None]),
    ),
    st.builds(c.WithdrawConsent, parties=st.none() | PARTIES, reason=st.none() | st.just("vill inte")),
)


def _covered(case: Case) -> frozenset[str]:
    consent = case.s.consent
    return frozenset(p for p in ALL_PARTIES if consent is not None and consent.covers(p))


@settings(max_examples=300, deadline=None)
@given(st.lists(consent_commands, max_size=12))
def test_every_party_that_loses_consent_has_a_withdrawal_since_it_was_last_covered(
    commands: list[c.Command],
) -> None:
    case = Case.referred(MON)
    last_covered: dict[str, int] = {}  # party -> number of events when it was last seen covered
    for cmd in commands:
        result = case.attempt(cmd)
        if isinstance(result, Rejected):
            continue
        case.run(cmd)
        now = _covered(case)
        for e in result.events:
            if e.type == "ConsentWithdrawn":
                assert set(e.data["remaining"]) == now
                assert set(e.notify) == set(e.data["parties"])
                assert not set(e.data["parties"]) & now
        for party in now:
            last_covered[party] = len(case.events)
        for party, since in last_covered.items():
            if party in now:
                continue
            told = [
                e
                for e in case.events[since:]
                if e.type == "ConsentWithdrawn" and party in e.data["parties"] and party in e.notify
            ]
            assert told, f"{party} lost consent without a ConsentWithdrawn naming it"
