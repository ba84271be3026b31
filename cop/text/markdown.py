"""User Markdown to safe HTML: one function that every domain storing user text uses."""

from __future__ import annotations

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: CommonMark with tables and strikethrough; raw HTML is escaped, never passed through.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

#: Members' headings sit below the page's own (h1 title, h2 sections): their "#" becomes an h3.
HEADING_SHIFT = 2

_ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(source: str | None) -> Markup:
    """Render user-written Markdown to sanitised HTML, safe to put in a page as it is (inside .cop-prose)."""
    if not source:
        return Markup("")
    return _kept(source) if len(source) <= KEPT_UP_TO else _render(source)


#: The same text always makes the same HTML, and signed-in pages (a forum thread, a mentoring request) show the same
#: texts again and again: parsing and cleaning them each time was a good part of such a page's cost. The last
#: RENDERED_KEPT texts of up to KEPT_UP_TO characters are kept (a few megabytes at most); longer ones, such as a case
#: study's sections, are on pages that visitors are mostly given kept whole.
RENDERED_KEPT = 1024
KEPT_UP_TO = 5000


def _render(source: str) -> Markup:
    tokens = _parser.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)


_kept = functools.lru_cache(maxsize=RENDERED_KEPT)(_render)


def strip_html(source: str | None) -> str:
    """Text with every HTML tag taken out (script and style with what they hold), for storing what people write.

    Pages never show raw HTML from Markdown anyway; this keeps it out of what is stored and served by the API.
    """
    text = source or ""
    while "<" in text:
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    return text


def markdown_to_text(source: str | None) -> str:
    """What Markdown says, as plain text (for calendars and other places that show no HTML): the words of
    each block on its own paragraph, links followed by their address."""
    if not source:
        return ""
    rendered = str(render_markdown(source))
    rendered = re.sub(r'<a href="([^"]+)"[^>]*>(.*?)</a>', lambda m: m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} ({m.group(1)})", rendered)
    rendered = re.sub(r"<li>", "- ", rendered)
    rendered = re.sub(r"</(p|h\d|li|pre|blockquote|tr)>", "\n", rendered)
    rendered = re.sub(r"<br\s*/?>", "\n", rendered)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(p for p in paragraphs if p).strip()


def sanitise_html(source: str | None) -> Markup:
    """HTML from elsewhere (another server's article) kept to what rendered Markdown may hold: the same tags,
    attributes and link schemes, so it is as safe in a page as a member's own writing.

    Its section headings are the exception: a whole story from elsewhere stands under the page's own h1, so
    its h2s are kept (and an h1 of its own becomes an h2) where a member's Markdown starts at h3.
    """
    if not source:
        return Markup("")
    source = _H1.sub(lambda m: f"<{m.group(1)}h2", source)
    clean = nh3.clean(
        source,
        tags=_ALLOWED_TAGS | {"h2"},
        clean_content_tags={"script", "style"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)


_H1 = re.compile(r"<(/?)h1(?=[\s>/])", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:p|div|h\d|li|pre|blockquote|tr|ul|ol|table)\s*>|<br\s*/?>", re.IGNORECASE)
_LINK = re.compile(r'<a href="([^"]+)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def html_to_text(source: str | None) -> str:
    """What HTML from elsewhere says, as plain text: a paragraph per block, links followed by their address.
    Holds no HTML, so it can be stored where Markdown without HTML is kept."""
    if not source:
        return ""
    # Blocks end in line breaks before sanitising, which drops tags it does not keep (such as h1 and h2) and
    # would run their words into the next block's.
    source = re.sub(r"<li(?:\s[^>]*)?>", "- ", _BLOCK_END.sub("\n", source), flags=re.IGNORECASE)
    rendered = str(sanitise_html(source))
    rendered = _LINK.sub(lambda m: m.group(2) if html.unescape(m.group(2)) == html.unescape(m.group(1)) else f"{m.group(2)} ({m.group(1)})", rendered)
    text = strip_html(rendered)
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p).strip()
