"""What a post may hold, and what it becomes: the checks on its words (length, script, links, watched words),
@mentions found and linked, quotes, and the safe HTML kept beside the Markdown."""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from cop.errors import ServiceError
from cop.extensions import db
from cop.forum.models import MAX_POST_LENGTH, MAX_TITLE_LENGTH, WatchedWord
from cop.text.markdown import render_markdown
from cop.urls import site_path

#: @mentions name a person by their display name without its spaces: @HugoMember.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z][\w.\-']{1,60})")
#: The most people one post tells they are mentioned.
MAX_MENTIONS = 10
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
#: HTML that would run or load something, were it ever let through: refused rather than quietly removed.
_ACTIVE_HTML = re.compile(
    r"<\s*/?\s*(script|style|iframe|object|embed|svg|math|form|meta|link|base)\b|<[^>]*\son[a-z]+\s*=|javascript\s*:",
    re.IGNORECASE,
)
_parser = MarkdownIt("commonmark", {"html": False})
#: Severity of what watched words do, strongest last.
_SEVERITY = {"flag": 1, "hold": 2, "block": 3}


def _prose(source: str) -> str:
    """The words of a post outside code, where HTML someone shows as an example is at home."""
    parts: list[str] = []
    for token in _parser.parse(source):
        if token.type in ("fence", "code_block"):
            continue
        for child in token.children or ():
            if child.type != "code_inline":
                parts.append(child.content)
    return "\n".join(parts)


def check_title(title: str) -> str:
    """A thread's title, trimmed; refused when empty or too long."""
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError("Enter a title for the thread.", field="title")
    if len(title) > MAX_TITLE_LENGTH:
        raise ServiceError(f"The title must be {MAX_TITLE_LENGTH} characters or fewer.", field="title")
    return title


def check_body(body: str, links_allowed: Optional[int]) -> str:
    """A post's Markdown, trimmed; refused when empty, too long, holding script, or with more links than allowed."""
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write something in your post.", field="body")
    if len(body) > MAX_POST_LENGTH:
        raise ServiceError(f"A post must be {MAX_POST_LENGTH:,} characters or fewer; this one has {len(body):,}.", field="body")
    prose = _prose(body)
    if _ACTIVE_HTML.search(prose):
        raise ServiceError(
            "Posts are written in Markdown and cannot hold script or HTML that runs (such as <script>, onclick= or "
            "javascript:). To show code, put it between backticks.", field="body",
        )
    if links_allowed is not None:
        links = len(_LINK.findall(prose))
        if links > links_allowed:
            raise ServiceError(
                f"New members can put at most {links_allowed} link{'s' if links_allowed != 1 else ''} in a post; this one has "
                f"{links}. Once a few of your posts are shown, you can add more.", field="body",
            )
    return body


def watched_word_action(*texts: str) -> tuple[Optional[str], Optional[str]]:
    """What the watched words say to do with these texts ("block", "hold", "flag" or None), and the word that said it."""
    words = db.session.execute(sa.select(WatchedWord.phrase, WatchedWord.action)).all()
    if not words:
        return None, None
    text = " ".join(texts).lower()
    found: tuple[Optional[str], Optional[str]] = (None, None)
    for phrase, action in words:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) and _SEVERITY[action] > _SEVERITY.get(found[0] or "", 0):
            found = (action, phrase)
    return found


def mentioned_handles(body: str) -> list[str]:
    """The lower-cased handles a post mentions outside code, at most MAX_MENTIONS, in order."""
    seen: list[str] = []
    for handle in MENTION.findall(_prose(body)):
        handle = handle.rstrip(".'-").lower()
        if handle not in seen:
            seen.append(handle)
    return seen[:MAX_MENTIONS]


def handle_of(display_name: str) -> str:
    """The handle that mentions a person: their display name without its spaces."""
    return "".join(display_name.split())


def people_mentioned(handles: Iterable[str]) -> dict[str, Any]:
    """handle -> the active person it names, for the handles that name exactly one."""
    from cop.accounts.models import User

    handles = list(handles)
    if not handles:
        return {}
    key = sa.func.lower(sa.func.replace(User.display_name, " ", ""))
    found: dict[str, list[Any]] = {}
    for user in db.session.scalars(sa.select(User).where(key.in_(handles), User.is_active.is_(True))):
        found.setdefault(handle_of(user.display_name).lower(), []).append(user)
    return {handle: users[0] for handle, users in found.items() if len(users) == 1}


_TAG = re.compile(r"(<[^>]+>)")


def link_mentions(html: str, people: dict[str, Any]) -> str:
    """Turn @Handle in the text of rendered HTML into links to the people's pages, leaving code and links alone."""
    if not people:
        return html
    out: list[str] = []
    inside = 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-z0-9]+)", part, re.IGNORECASE)
            if name and name.group(1).lower() in ("a", "code", "pre"):
                inside += -1 if part.startswith("</") else 1
            out.append(part)
        elif inside > 0:
            out.append(part)
        else:
            def link(match: re.Match[str]) -> str:
                person = people.get(match.group(1).rstrip(".'-").lower())
                if person is None:
                    return match.group(0)
                href = escape(site_path("accounts.person", user_id=person.id))
                return f'<a class="govuk-link cop-mention" href="{href}">{match.group(0)}</a>'
            out.append(MENTION.sub(link, part))
    return "".join(out)


def render_post(body: str, people: dict[str, Any]) -> str:
    """The safe HTML a post shows, its mentions linked."""
    return link_mentions(str(render_markdown(body)), people)


def quotation(author_name: str, body: str, limit: int = 1500) -> str:
    """The Markdown that quotes a post in a reply: its words as a block quote, shortened, with who wrote them."""
    text = body.strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"@{handle_of(author_name)} wrote:\n\n{quoted}\n\n"


def as_markup(html: str) -> Markup:
    """Kept HTML (made by render_post, so already safe) for a template."""
    return Markup(html)
