"""The search service, on whichever database the suite runs on (SQLite FTS5, or PostgreSQL tsvector)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.text import search
from cop.text.search import Term, fts5_query, parse_query

DOCUMENTS = {
    1: ("Bin collections on Twitter", "How a council answered residents about missed bin collections, every morning."),
    2: ("Consulting on a park redesign", "We consulted residents through a blog and a map. Consultation ran for six weeks."),
    3: ("Floods: a crisis channel", "During the floods our crisis channel carried road closures and sandbag points."),
    4: ("Unblocking Facebook for staff", "Staff could not see Facebook at work; we changed the policy with IT and HR."),
}


@pytest.fixture()
def indexed(db):
    for object_id, (title, body) in DOCUMENTS.items():
        search.index_document("story", object_id, title, body)
    # Another kind with the same words: never mixed into a story search.
    search.index_document("post", 1, "Bin collections", "Bin collections again")
    db.session.commit()
    return db


def found(query: str, kind: str = "story") -> list[int]:
    from cop.extensions import db

    hits = search.matching(kind, query)
    if hits is None:
        return []
    return list(db.session.scalars(sa.select(hits.c.object_id).order_by(hits.c.relevance.desc(), hits.c.object_id)))


@pytest.mark.parametrize(
    ("raw", "terms"),
    [
        ("bin collections", [Term(("bin",)), Term(("collections",))]),
        ('"crisis channel" floods', [Term(("crisis", "channel")), Term(("floods",))]),
        ("consult*", [Term(("consult",), prefix=True)]),
        ('"unbalanced quote here', [Term(("unbalanced",)), Term(("quote",)), Term(("here",))]),
        ("NEAR( bin", [Term(("near",)), Term(("bin",))]),
        ("*", []),
        ("  ", []),
        ("a* OR b", [Term(("a",)), Term(("or",)), Term(("b",))]),
        ("bin\x00 bin", [Term(("bin",))]),
        ('""', []),
    ],
)
def test_queries_are_read_as_words_phrases_and_prefixes(raw, terms):
    assert parse_query(raw) == terms


def test_the_fts5_expression_quotes_every_term():
    assert fts5_query(parse_query('NEAR("crisis channel" consult* AND')) == '"near" "crisis channel" "consult"* "and"'


def test_a_very_long_query_is_cut_short():
    assert len(parse_query("word " * 2000)) == 1
    assert len(parse_query(" ".join(f"w{i}" for i in range(100)))) == search.MAX_TERMS


def test_every_word_must_match_and_kinds_stay_apart(indexed):
    assert found("bin collections") == [1]
    assert found("bin collections", kind="post") == [1]
    assert found("bin floods") == []


def test_stemming_phrases_and_prefixes(indexed):
    assert found("consultation") == [2], "consulted, consulting and consultation share a stem"
    assert found('"crisis channel"') == [3]
    assert found('"channel crisis"') == []
    assert found("facebo*") == [4]


def test_a_word_in_the_title_counts_for_more(indexed):
    assert found("residents") == [1, 2] or found("residents") == [2, 1]
    assert found("floods")[0] == 3
    assert found("staff facebook") == [4]


@pytest.mark.parametrize("hostile", ['"', 'NEAR(', "*", "a" * 10_000, "AND OR NOT", "bin) OR (1=1", "'; DROP TABLE users; --", "\x00", "-bin", "^bin"])
def test_hostile_queries_are_plain_searches(indexed, hostile):
    found(hostile)  # never raises
    snippets = search.snippets("story", hostile, [1, 2, 3, 4])
    assert isinstance(snippets, dict)


def test_a_query_with_no_words_matches_nothing_rather_than_everything(indexed):
    assert search.matching("story", "  * \" ") is None


def test_updates_and_removals_take_effect_in_the_same_transaction(indexed):
    search.index_document("story", 3, "Storms: a crisis channel", "During the storms the channel carried closures.")
    assert found("floods") == [], "the old words are gone before the commit"
    assert found("storms") == [3]
    search.remove_document("story", 4)
    assert found("facebook") == []
    indexed.session.rollback()
    assert found("floods") == [3] and found("facebook") == [4], "a rollback leaves the index as it was"


def test_documents_indexed_in_bulk_are_found_as_those_indexed_one_by_one(indexed):
    search.index_new_documents("bulk", [(object_id, title, body) for object_id, (title, body) in DOCUMENTS.items()])
    for query in ("bin collections", "consult*", '"crisis channel"', "facebook staff", "residents"):
        assert found(query, "bulk") == found(query), query
    search.index_new_documents("bulk", [])
    assert found("residents", "bulk") == [1, 2]


def test_snippets_mark_the_matched_words_and_escape_everything_else(db):
    search.index_document("story", 7, "Scripts <b>in</b> titles", 'Residents wrote <script>alert("x")</script> about the flooding near the river.')
    db.session.commit()
    [(object_id, snippet)] = search.snippets("story", "flood", [7]).items()
    assert object_id == 7
    assert "<mark>flooding</mark>" in snippet.body
    # SQLite's extract keeps the text, escaped; PostgreSQL's leaves tags out. Neither lets markup through.
    assert "<script" not in snippet.body and "<b>" not in snippet.title and "<mark>" not in snippet.title
    assert search.snippets("story", "flood", []) == {}


def test_private_marker_characters_in_content_cannot_forge_markup(db):
    search.index_document("story", 8, "Title", "river \ue000<img src=x onerror=alert(1)>\ue001 river")
    db.session.commit()
    [snippet] = search.snippets("story", "river", [8]).values()
    assert "<img" not in snippet.body
    assert snippet.body.count("<mark>") == snippet.body.count("</mark>") == 2
