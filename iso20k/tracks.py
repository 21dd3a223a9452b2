"""The three training tracks of the certification roadmap's training step."""

from __future__ import annotations

from .texts import N_, t

TRACKS = ("all-staff", "key-personnel", "document-writing")

#: The tracks' names (English; translated through the texts' catalogue, see :func:`track_title`).
TITLE_TEXTS = {
    "all-staff": N_("All-staff track"),
    "key-personnel": N_("Key-personnel track"),
    "document-writing": N_("Document-writing track"),
}
#: Their short names, where space is tight (the dashboard's cards, columns and charts).
SHORT_TITLE_TEXTS = {
    "all-staff": N_("All-staff"),
    "key-personnel": N_("Key personnel"),
    "document-writing": N_("Document writing"),
}
AUDIENCE_TEXTS = {
    "all-staff": N_("everyone in the company"),
    "key-personnel": N_("general managers, department managers and supervisors, the management representative"),
    "document-writing": N_("the people who write the manual, procedures, work instructions and records"),
}


def track_title(track: str, language: str | None, short: bool = False) -> str:
    """The track's name in ``language`` (``short``: the short one)."""
    return t((SHORT_TITLE_TEXTS if short else TITLE_TEXTS)[track], language)


def _both(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    return {track: {"en": t(text, "en"), "zh": t(text, "zh")} for track, text in texts.items()}


#: track -> {"en": ..., "zh": ...}, for the places that show both languages side by side.
TRACK_TITLES = _both(TITLE_TEXTS)
TRACK_AUDIENCE = _both(AUDIENCE_TEXTS)

#: The graded nbgrader assignment of each track.
ASSESSMENTS = {
    "all-staff": "all-staff-exam",
    "key-personnel": "key-personnel-assessment",
    "document-writing": "document-writing-assessment",
}
TRACK_OF_ASSESSMENT = {assignment: track for track, assignment in ASSESSMENTS.items()}
