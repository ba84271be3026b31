"""Full-text search behind one interface: SQLite FTS5 on the embedded default, PostgreSQL tsvector otherwise.

A domain keeps its things searchable by calling ``index_document`` and ``remove_document`` in the same
transaction that changes them, and finds them with ``matching`` (a subquery of ids and relevance it joins
to its own query, so its filters and paging still apply) and ``snippets`` (highlighted extracts for the
rows on a page). Whatever people type is read as words, "quoted phrases" and prefix* terms and nothing
else, so no input (unbalanced quotes, NEAR(, a lone *, 10,000 characters) is ever a syntax error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Optional

import sqlalchemy as sa
from markupsafe import Markup, escape

from cop.extensions import db
from cop.text.models import SearchEntry

#: The FTS5 table over search_entries, and the triggers that keep it in step: SQLite only.
#: Tables whose names start with FTS_TABLE are made here, not by the models (see is_managed_here).
FTS_TABLE = "search_fts"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='search_entries', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    f"CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    f"CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_entries_au",
    "DROP TRIGGER IF EXISTS search_entries_ad",
    "DROP TRIGGER IF EXISTS search_entries_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
#: PostgreSQL's text search configuration; English stemming, as the porter tokenizer does on SQLite.
PG_CONFIG = "english"
#: How much more a word in the title counts than one in the body (SQLite's bm25 column weights).
TITLE_WEIGHT = 4.0
#: Limits on what is read of a query: enough for any real search, and a bound on the work.
MAX_QUERY_LENGTH = 256
MAX_TERMS = 12
#: Private-use characters that mark highlights inside the database's output; removed from indexed text.
_START, _STOP = "\ue000", "\ue001"
_WORD = re.compile(r"[^\W_]+(\*)?")
_UNREADABLE = re.compile(r"[\x00-\x1f\x7f\ue000\ue001]")


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, a phrase of several words, or a word to match as a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Snippet:
    """Extracts of a matching thing with the matched words marked, safe to put in a page."""

    title: Markup
    body: Markup


def parse_query(raw: Optional[str]) -> list[Term]:
    """The words, "phrases" and prefix* terms in what someone typed; everything else is ignored."""
    raw = raw or ""
    text = raw[:MAX_QUERY_LENGTH]
    if len(raw) > MAX_QUERY_LENGTH and " " in text:
        text = text.rsplit(" ", 1)[0]  # never half a word
    text = _UNREADABLE.sub(" ", text)
    parts = text.split('"')
    if len(parts) % 2 == 0:
        # An unbalanced quote: the last one is ignored, not an error.
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    terms: list[Term] = []
    for index, part in enumerate(parts):
        if index % 2:
            words = tuple(match.group(0).rstrip("*").lower() for match in _WORD.finditer(part))
            if words:
                terms.append(Term(words))
        else:
            for match in _WORD.finditer(part):
                word = match.group(0).rstrip("*").lower()
                terms.append(Term((word,), prefix=bool(match.group(1)) and len(word) >= 2))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


def fts5_query(terms: Iterable[Term]) -> str:
    """An FTS5 MATCH expression that requires every term; each is quoted, so none is an operator."""
    return " ".join(f'"{" ".join(term.words)}"' + ("*" if term.prefix else "") for term in terms)


def _postgres_query(terms: list[Term]) -> sa.ColumnElement:
    """A tsquery that requires every term, built only from bound values."""

    def one(term: Term) -> sa.ColumnElement:
        if term.prefix:
            return sa.func.to_tsquery(PG_CONFIG, term.words[0] + ":*")
        if len(term.words) > 1:
            return sa.func.phraseto_tsquery(PG_CONFIG, " ".join(term.words))
        return sa.func.plainto_tsquery(PG_CONFIG, term.words[0])

    return functools.reduce(lambda left, right: left.op("&&")(right), (one(term) for term in terms))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _clean(text: str) -> str:
    return _UNREADABLE.sub(" ", text or "")


def _postgres_document(title: str | sa.ColumnElement, body: str | sa.ColumnElement) -> sa.ColumnElement:
    # The weights are constants of this module, written into the statement; the texts are bound values.
    return sa.func.setweight(sa.func.to_tsvector(PG_CONFIG, title), sa.literal_column("'A'")).op("||")(
        sa.func.setweight(sa.func.to_tsvector(PG_CONFIG, body), sa.literal_column("'B'"))
    )


def index_document(kind: str, object_id: int, title: str, body: str) -> None:
    """Make a thing findable, or refresh what is indexed of it, in the current transaction."""
    title, body = _clean(title), _clean(body)
    entry = db.session.scalar(sa.select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id))
    if entry is None:
        entry = SearchEntry(kind=kind, object_id=object_id)
        db.session.add(entry)
    entry.title, entry.body = title, body
    if _dialect() == "postgresql":
        entry.document = _postgres_document(title, body)
    db.session.flush()


def index_new_documents(kind: str, documents: Iterable[tuple[int, str, str]]) -> None:
    """Make many things findable at once, in one statement per batch: (object_id, title, body) for each, none of
    them indexed before (a thing already indexed breaks the kind's uniqueness). For loading data in bulk."""
    rows = [{"kind": kind, "object_id": object_id, "title": _clean(title), "body": _clean(body)}
            for object_id, title, body in documents]
    if not rows:
        return
    if _dialect() == "postgresql":
        # The same weighted document index_document writes, made by the server from each row's texts.
        statement = sa.insert(SearchEntry).values(
            document=_postgres_document(sa.bindparam("doc_title", type_=sa.Text), sa.bindparam("doc_body", type_=sa.Text)))
        rows = [{**row, "doc_title": row["title"], "doc_body": row["body"]} for row in rows]
    else:
        statement = sa.insert(SearchEntry)
    db.session.execute(statement, rows)


def remove_document(kind: str, object_id: int) -> None:
    """Stop a thing being found, in the current transaction."""
    db.session.execute(sa.delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id))


def _fts_table() -> sa.TableClause:
    return sa.table(FTS_TABLE, sa.column("rowid"))


def matching(kind: str, query: Optional[str], ranked: bool = True) -> Optional[sa.Subquery]:
    """The things of one kind that match, as a subquery of (object_id, relevance; higher is better).

    None when the query holds no words at all, so the caller can show everything instead. ``ranked=False``
    leaves the relevance at 0, for counting the matches without scoring each.
    """
    terms = parse_query(query)
    if not terms:
        return None
    if _dialect() == "postgresql":
        tsquery = _postgres_query(terms)
        relevance = sa.func.ts_rank_cd(SearchEntry.document, tsquery) if ranked else sa.literal(0.0)
        stmt = sa.select(
            SearchEntry.object_id.label("object_id"),
            relevance.label("relevance"),
        ).where(SearchEntry.kind == kind, SearchEntry.document.op("@@")(tsquery))
    else:
        hits = _fts_hits(fts5_query(terms), f"{kind}_hits", ranked)
        stmt = sa.select(SearchEntry.object_id.label("object_id"), hits.c.relevance.label("relevance")).join(
            hits, SearchEntry.id == hits.c.rowid
        ).where(SearchEntry.kind == kind)
    return stmt.subquery(f"{kind}_matches")


def _fts_hits(match: str, name: str, ranked: bool = True) -> sa.CTE:
    """The FTS5 rows matching, with their relevance (bm25 negated: higher is better; 0 unranked), found once.

    Materialised so that SQLite runs the match once and joins its rows, rather than running it again
    for each search entry it looks at (which made a search of 10,000 things take most of a second).
    """
    table = sa.literal_column(FTS_TABLE)
    relevance = -sa.func.bm25(table, TITLE_WEIGHT, 1.0) if ranked else sa.literal(0.0)
    return (
        sa.select(sa.literal_column("rowid").label("rowid"), relevance.label("relevance"))
        .select_from(_fts_table())
        .where(table.op("MATCH")(match))
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def _marked(text: Optional[str]) -> Markup:
    """Escape the database's extract, then turn its private markers into <mark> elements."""
    return Markup(str(escape(text or "")).replace(_START, "<mark>").replace(_STOP, "</mark>"))


def snippets(kind: str, query: Optional[str], object_ids: Iterable[int]) -> dict[int, Snippet]:
    """Highlighted extracts of the given things for a query, in one statement: object_id -> Snippet."""
    terms = parse_query(query)
    ids = list(object_ids)
    if not terms or not ids:
        return {}
    if _dialect() == "postgresql":
        tsquery = _postgres_query(terms)
        options = f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \""
        stmt = sa.select(
            SearchEntry.object_id,
            sa.func.ts_headline(PG_CONFIG, SearchEntry.title, tsquery, f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"),
            sa.func.ts_headline(PG_CONFIG, SearchEntry.body, tsquery, options),
        ).where(SearchEntry.kind == kind, SearchEntry.object_id.in_(ids))
    else:
        fts = _fts_table()
        table = sa.literal_column(FTS_TABLE)
        stmt = (
            sa.select(
                SearchEntry.object_id,
                sa.func.highlight(table, 0, _START, _STOP),
                sa.func.snippet(table, 1, _START, _STOP, "…", 24),
            )
            .select_from(fts)
            .join(SearchEntry, SearchEntry.id == fts.c.rowid)
            .where(SearchEntry.kind == kind, SearchEntry.object_id.in_(ids), table.op("MATCH")(fts5_query(terms)))
        )
    return {object_id: Snippet(_marked(title), _marked(body)) for object_id, title, body in db.session.execute(stmt)}


def is_managed_here(name: Optional[str]) -> bool:
    """True for the SQLite FTS tables this module makes, which the models (and so migrations' comparisons) leave out."""
    return bool(name) and name.startswith(FTS_TABLE)


@sa.event.listens_for(SearchEntry.__table__, "after_create")
def _create_fts(target: sa.Table, connection: sa.Connection, **_: object) -> None:
    """create_all (tests, a fresh database) makes the FTS table and its triggers too, on SQLite."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)


@sa.event.listens_for(SearchEntry.__table__, "before_drop")
def _drop_fts(target: sa.Table, connection: sa.Connection, **_: object) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)


#: Words too common to say two texts are alike.
_COMMON = frozenset(
    "a about after all also an and are as at be been but by can did do for from had has have how i in into is it "
    "its more new not of on one or our out over so than that the their them then there these they this to up was "
    "we were what when which who will with would you your".split()
)


def similar(kind: str, text: str, exclude: Optional[int] = None, limit: int = 20) -> list[int]:
    """The things of one kind sharing the most words with ``text``, best first (any word counts, not all)."""
    words = [term.words[0] for term in parse_query(text.replace('"', " ")) if term.words[0] not in _COMMON and len(term.words[0]) > 2]
    if not words:
        return []
    if _dialect() == "postgresql":
        tsquery = functools.reduce(
            lambda left, right: left.op("||")(right), (sa.func.plainto_tsquery(PG_CONFIG, word) for word in words)
        )
        stmt = (
            sa.select(SearchEntry.object_id)
            .where(SearchEntry.kind == kind, SearchEntry.document.op("@@")(tsquery))
            .order_by(sa.func.ts_rank_cd(SearchEntry.document, tsquery).desc())
        )
    else:
        hits = _fts_hits(" OR ".join(f'"{word}"' for word in words), f"{kind}_alike")
        stmt = (
            sa.select(SearchEntry.object_id)
            .join(hits, SearchEntry.id == hits.c.rowid)
            .where(SearchEntry.kind == kind)
            .order_by(hits.c.relevance.desc())
        )
    if exclude is not None:
        stmt = stmt.where(SearchEntry.object_id != exclude)
    return list(db.session.scalars(stmt.limit(limit)))
