"""Revisions of a published case study: what each one held, and what changed between two of them."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from cop.casestudies.models import ENGAGEMENT_MODES, LICENCES, SECTIONS

if TYPE_CHECKING:
    from cop.casestudies.models import CaseStudy

#: The fields a revision keeps, in the order a comparison shows them: (key, label).
FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("service_area", "Service area"),
    ("modes", "Engagement modes"),
    ("channels", "Channels"),
    ("skills", "Skills"),
    ("level", "Level"),
    ("dates", "Dates"),
    *((name, heading) for name, heading, _required in SECTIONS),
    ("links", "Links"),
    ("licence", "Licence"),
    ("authors", "Authors"),
)

_TOKEN = re.compile(r"\s+|[^\s]+")


def snapshot(case_study: "CaseStudy") -> dict[str, Any]:
    """The case study's readable content as plain values, as a revision stores it."""
    dates = ""
    if case_study.started_on:
        dates = case_study.started_on.isoformat() + (" to " + case_study.ended_on.isoformat() if case_study.ended_on else " onwards")
    return {
        "title": case_study.title,
        "summary": case_study.summary,
        "service_area": case_study.service_area.name if case_study.service_area else "",
        "modes": [ENGAGEMENT_MODES[key] for key in case_study.mode_keys],
        "channels": [t.name for t in case_study.channels],
        "skills": [t.name for t in case_study.skills],
        "level": case_study.level or "",
        "dates": dates,
        **{name: getattr(case_study, name) for name, _heading, _required in SECTIONS},
        "links": [f"{link['title']} <{link['url']}>" for link in case_study.links],
        "licence": LICENCES[case_study.licence][0],
        "authors": [a.display_name for a in case_study.authors],
    }


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value or "")


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two revisions, with the words taken out and put in marked."""

    label: str
    marked: Markup


def word_diff(old: str, new: str) -> Markup:
    """The new text with removed words in <del> and added words in <ins>, escaped and safe for a page."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(str(escape("".join(a[i1:i2]))))
            continue
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(parts))


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """What changed from one revision's content to another's, field by field; unchanged fields are left out."""
    changes = []
    for key, label in FIELDS:
        before, after = _as_text(old.get(key)), _as_text(new.get(key))
        if before != after:
            changes.append(FieldChange(label, word_diff(before, after)))
    return changes
