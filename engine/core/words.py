"""Swedish words for the definition's codes (decisions, outcomes, avbrott reasons): one table each,
used by the diagram (engine.core.diagram) and the pages (api.pages.labels)."""

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
    "egen_begaran": "egen begäran",
    "annan_insats": "annan insats",
    "ingen_kontakt": "ingen kontakt",
    "ovrigt": "övrigt",
    "samtycke_aterkallat": "samtycket återkallat",
    "behov_upphort": "behovet har upphört",
    "annan_huvudman": "annan huvudman",
}


def avbrott_reason(code: str) -> str:
    return AVBROTT_REASONS.get(code, code.replace("_", " "))
