"""Swedish words for the definition's codes (decisions, outcomes, avbrott reasons): one table each,
used by the core's messages (engine.core.rules), the diagram (engine.core.diagram), the semantic diff
and the pages (api.pages.labels). The one place for these words."""

from __future__ import annotations

DECISIONS = {"admitted": "Antagen", "not_admitted": "Ej antagen", "on_hold": "Vilande"}
OUTCOMES = {
    "förvärvsarbete": "Förvärvsarbete",
    "studier": "Studier",
    "arbetssökande": "Arbetssökande",
    "övriga_avslutade": "Övriga avslutade",
    "ovriga_avslutade": "Övriga avslutade",
    "felregistrering": "Felregistrering",
    "avbrott": "Avbrott",
}
# Avbrott reasons are the definition's own codes; these are the shipped definitions' ones in words.
# Any other code is shown with its underscores as spaces.
AVBROTT_REASONS = {
    "egen_begaran": "Egen begäran",
    "sjukdom": "Sjukdom",
    "flytt": "Flytt",
    "annan_insats": "Annan insats",
    "ingen_kontakt": "Ingen kontakt",
    "ovrigt": "Övrigt",
    "samtycke_aterkallat": "Samtycket återkallat",
    "behov_upphort": "Behovet har upphört",
    "annan_huvudman": "Annan huvudman",
}


def avbrott_reason(code: str) -> str:
    return AVBROTT_REASONS.get(code) or code.replace("_", " ").capitalize()
