"""Consent, the decision on participation, and contact with the participant."""

from __future__ import annotations

from engine.core import commands as c
from engine.core.definition import PhaseKind
from engine.core.rules.context import Context, Reject, blank
from engine.core.state import Consent

DECISIONS = ("admitted", "not_admitted", "on_hold")

REPLACED = "ersatt av ett nytt samtycke som inte omfattar parten"
"""The reason of the withdrawal a narrower new consent records for the parties it leaves out."""


def record_consent(ctx: Context, cmd: c.RecordConsent) -> None:
    parties = tuple(dict.fromkeys(cmd.parties))
    if not parties:
        raise Reject("consent_scope_empty", "Samtycket måste omfatta minst en part", field="parties")
    unknown = [p for p in parties if p not in ctx.d.party_ids]
    if unknown:
        raise Reject("unknown_party", "Okänd part: " + ", ".join(unknown), field="parties", parties=unknown)
    if cmd.given_on > ctx.today:
        raise Reject("invalid_date", "Samtycket kan inte vara givet i framtiden", field="given_on")
    if blank(cmd.form):
        raise Reject("consent_form_required", "Ange hur samtycket gavs", field="form")
    old = ctx.s.consent
    if old is not None and old.active:
        dropped = tuple(p for p in old.parties if p not in parties)
        if dropped:
            # A new consent that covers fewer parties withdraws it from the others: they are told, and
            # the history says so, exactly as if WithdrawConsent had named them. Emitted before
            # ConsentRecorded, so it applies to the consent being replaced.
            ctx.emit(
                "ConsentWithdrawn",
                notify=dropped,
                parties=list(dropped),
                remaining=list(parties),
                reason=REPLACED,
            )
    ctx.s.consent = Consent(parties, cmd.given_on, cmd.form, cmd.actor or "okänd")
    ctx.emit("ConsentRecorded", parties=list(parties), given_on=cmd.given_on.isoformat(), form=cmd.form)


def withdraw_consent(ctx: Context, cmd: c.WithdrawConsent) -> None:
    consent = ctx.s.consent
    if consent is None or not consent.active:
        raise Reject("consent_not_active", "Det finns inget aktivt samtycke att återkalla")
    removed = (
        consent.parties if cmd.parties is None else tuple(dict.fromkeys(p for p in cmd.parties if p in consent.parties))
    )
    if not removed:
        raise Reject("consent_scope_empty", "Samtycket omfattar inte de angivna parterna", field="parties")
    remaining = tuple(p for p in consent.parties if p not in removed)
    ctx.s.consent = Consent(
        remaining,
        consent.given_on,
        consent.form,
        consent.recorded_by,
        None if remaining else ctx.today,
    )
    ctx.emit(
        "ConsentWithdrawn",
        notify=removed,
        parties=list(removed),
        remaining=list(remaining),
        reason=cmd.reason,
    )


def decide_participation(ctx: Context, cmd: c.DecideParticipation) -> None:
    if cmd.decision not in DECISIONS:
        raise Reject(
            "invalid_decision", "Beslutet ska vara Antagen, Ej antagen eller Vilande", field="decision"
        )
    phase = ctx.d.phase_by_id[ctx.s.phase]
    if phase.kind is not PhaseKind.DECISION:
        raise Reject("decision_not_expected", f"Beslut om deltagande fattas inte i fasen {phase.label}")
    ctx.s.decision = cmd.decision
    ctx.emit("ParticipationDecided", decision=cmd.decision, note=cmd.note)


def record_contact(ctx: Context, cmd: c.RecordContact) -> None:
    on = cmd.on or ctx.today
    if on > ctx.today:
        raise Reject("invalid_date", "Kontakten kan inte ligga i framtiden", field="on")
    s = ctx.s
    if s.last_contact_on is None or on > s.last_contact_on:
        s.last_contact_on = on
    gt = ctx.d.global_timers.no_contact
    if gt is not None and "no_contact" in s.global_timers_started and s.last_contact_on is not None:
        ctx.set_timer("global:no_contact", gt.after.after(s.last_contact_on, ctx.d.working_calendar), "no_contact")
    ctx.emit("ContactRecorded", on=on.isoformat(), channel=cmd.channel)
