"""Case studies as an Atom feed (RFC 4287), built with feedgen: objects in, bytes out."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from feedgen.feed import FeedGenerator

from cop.casestudies.models import SECTIONS, CaseStudy
from cop.text.markdown import render_markdown, sanitise_html


def case_study_html(case_study: CaseStudy) -> str:
    """The whole story as sanitised HTML, section by section, for a feed reader."""
    parts = [f"<p>{render_markdown(case_study.summary)}</p>"] if case_study.summary else []
    for name, heading, _required in SECTIONS:
        text = getattr(case_study, name)
        if text:
            parts.append(f"<h2>{heading}</h2>{render_markdown(text)}")
    if case_study.remote_content:
        # Received from another server: its story is HTML, cleaned again as it goes out.
        parts.append(str(sanitise_html(case_study.remote_content)))
    return "".join(parts)


def case_studies_to_atom(
    case_studies: Iterable[CaseStudy],
    *,
    title: str,
    feed_url: str,
    page_url: str,
    url_for_case_study: Callable[[CaseStudy], str],
    site_name: str,
    updated: datetime,
) -> bytes:
    """An Atom feed of the case studies, newest first as given; ids are the case studies' own addresses."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.author({"name": site_name})
    feed.generator(site_name)
    feed.language("en")
    entries = list(case_studies)
    feed.updated(max([c.updated_at for c in entries], default=updated))
    # feedgen puts the entry added last first; add oldest first so the feed reads newest first.
    for case_study in reversed(entries):
        url = url_for_case_study(case_study)
        entry = feed.add_entry()
        entry.id(url)
        entry.title(case_study.title)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.summary(case_study.summary or case_study.title)
        entry.content(case_study_html(case_study), type="html")
        entry.published(case_study.published_at)
        entry.updated(case_study.updated_at)
        for author in case_study.authors:
            entry.author({"name": author.display_name})
        if not case_study.authors:
            entry.author({"name": case_study.agency.name})
        entry.category(term=case_study.agency.slug, label=case_study.agency.name)
        for topic in case_study.topics:
            entry.category(term=topic.slug, label=topic.name)
        if case_study.licence:
            entry.rights(case_study.licence)
    return feed.atom_str(pretty=False)
