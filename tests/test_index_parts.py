"""Small parts of the index layer: database URLs shown without passwords, shards, the
tsvector form of stored stems, and the error texts every front shows."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError, IndexBusyError
from bot.index.postgres import lexeme, tsvector_literal
from bot.index.urls import DatabaseUrl
from bot.ingest import in_shard, parse_shard
from bot.messages import slack_failure, terminal_text


def test_a_url_is_shown_without_its_password() -> None:
    url = DatabaseUrl.parse("postgresql://news:s%40cret@db.example:5432/newsbot?sslmode=require")
    assert url.safe == "postgresql://news:***@db.example:5432/newsbot?sslmode=require"
    assert url.conninfo.startswith("postgresql://news:s%40cret@")
    assert DatabaseUrl.parse("postgresql://news@db/newsbot").safe == "postgresql://news@db/newsbot"
    query = DatabaseUrl.parse("postgresql://db/newsbot?user=news&password=hunter2")
    assert query.safe == "postgresql://db/newsbot?user=news&password=***"
    error = RuntimeError('FATAL: password "s@cret" and s%40cret for user "news" failed')
    assert "s@cret" not in url.scrub(error) and "s%40cret" not in url.scrub(error)
    assert "***" in str(url.unavailable(error))
    with pytest.raises(ConfigError, match="postgresql://"):
        DatabaseUrl.parse("mysql://db/newsbot")


def test_shards_split_every_source_once_and_the_same_way_everywhere() -> None:
    keys = [f"/archive/{i:04d}.txt" for i in range(400)]
    shares = [[k for k in keys if in_shard(k, (n, 3))] for n in (1, 2, 3)]
    assert sorted(k for share in shares for k in share) == keys  # each source in one share
    assert all(100 < len(s) < 170 for s in shares)  # roughly even
    assert [k for k in keys if in_shard(k, (2, 3))] == shares[1]  # stable
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(ConfigError, match="K/N"):
            parse_shard(bad)


def test_stems_become_a_tsvector_with_their_positions() -> None:
    assert tsvector_literal(["council", "vote", "council"]) == "'council':1,3 'vote':2"
    assert lexeme("it's") == "'it''s'" and lexeme("a\\b") == "'a\\\\b'"


def test_every_front_words_errors_alike() -> None:
    busy = IndexBusyError("Another ingest is writing to index/ right now.")
    assert terminal_text(busy) == "Another ingest is writing to index/ right now."
    bug = KeyError("x")
    assert terminal_text(bug) == "KeyError: 'x' (run with --debug for the traceback)"
    assert terminal_text(bug, debug=True) == "KeyError: 'x'"
    assert slack_failure(busy).text.startswith("Sorry, I couldn't answer that: Another ingest")
    failed = slack_failure(bug)
    assert failed.ref and failed.ref in failed.text and "KeyError" not in failed.text
