"""Ingest of a mixed archive: incremental counts, removal, stdin, duplicate stories,
and the archive commands (list, stats, rm). Fake encoder, real FAISS and SQLite."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.catalog import compute_stats, filter_articles, parse_period, remove
from bot.cli import app
from bot.config import Settings
from bot.core import Newsbot
from bot.dates import local_day
from bot.errors import NewsbotError
from bot.index import IndexReader, ListedArticle
from bot.ingest import ingest
from bot.progress import summary
from tests.conftest import ROOT, write_article
from tests.fakes import FakeEncoder
from tests.index_checks import consistent

EXAMPLES = ROOT / "examples"
STORM = "A fast-moving storm knocked out power to more than 30,000 homes"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    shutil.copytree(EXAMPLES, folder)
    return folder


def test_every_example_format_goes_in_and_reingest_is_unchanged(
    store: IndexReader, encoder: FakeEncoder, archive: Path
) -> None:
    first = ingest([str(archive)], store, encoder)
    assert (first.added, first.failed, first.files) == (11, [], 7)
    consistent(store)
    embedded = encoder.texts_embedded
    again = ingest([str(archive)], store, encoder)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 11, 0)
    assert encoder.texts_embedded == embedded  # nothing embedded twice
    assert again.generation == first.generation  # nothing to commit


def test_jsonl_edits_count_added_updated_unchanged_removed(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    path = tmp_path / "wire.jsonl"

    def write(rows: list[tuple[str, str]]) -> None:
        path.write_text(
            "\n".join(json.dumps({"id": i, "title": f"Story {i}", "text": t}) for i, t in rows)
        )

    write([("a", "Alpha happened today."), ("b", "Bravo happened today."),
           ("c", "Charlie happened today.")])  # fmt: skip
    assert ingest([str(path)], store, encoder).added == 3
    # New line on top (ids keep items stable), b edited, c gone.
    write([("z", "Zulu happened today."), ("a", "Alpha happened today."),
           ("b", "Bravo happened yesterday.")])  # fmt: skip
    report = ingest([str(path)], store, encoder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 1, 1)
    assert store.count("articles") == 3
    assert report.chunks_embedded == 2  # only z and the edited b
    consistent(store)


def test_damaged_jsonl_keeps_its_good_lines_and_loses_nothing(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    path = tmp_path / "feed.jsonl"
    good = [json.dumps({"id": i, "title": f"T{i}", "text": f"Body {i} here."}) for i in "ab"]
    path.write_text("\n".join(good))
    ingest([str(path)], store, encoder)
    path.write_text("\n".join([good[0], '{"id": "b", "title": "cut', good[1][:-1]]))
    report = ingest([str(path)], store, encoder)
    assert [(f.line, f.reason[:14]) for f in report.failed] == [
        (2, "not valid JSON"),
        (3, "not valid JSON"),
    ]
    assert store.count("articles") == 2  # b is not removed on the word of a broken line
    again = ingest([str(path)], store, encoder)  # a damaged file is read (and reported) again
    assert len(again.failed) == 2 and again.unchanged == 1


def test_feed_entries_that_roll_off_are_kept(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    feed = tmp_path / "herald.rss"
    rss = (EXAMPLES / "herald-feed.rss").read_text()
    feed.write_text(rss)
    ingest([str(feed)], store, encoder)
    start = rss.index("<item>")
    feed.write_text(rss[:start] + rss[rss.index("</item>") + 7 :])  # first entry rolled off
    report = ingest([str(feed)], store, encoder)
    assert (report.unchanged, report.removed) == (1, 0)
    assert store.count("articles") == 2


def test_truncated_feed_fails_whole_and_removes_nothing(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    feed = tmp_path / "herald.rss"
    rss = (EXAMPLES / "herald-feed.rss").read_text()
    cut = rss[: rss.index("Drivers are asked")]  # inside the second entry's description
    feed.write_text(cut)
    report = ingest([str(feed)], store, encoder)
    assert [str(f) for f in report.failed] == [
        f"{feed}: truncated XML: ends inside <description> at line 21"
    ]
    assert (report.added, store.count("articles")) == (0, 0)  # not even the whole first entry
    feed.write_text(rss)
    assert ingest([str(feed)], store, encoder).added == 2
    feed.write_text(cut)
    again = ingest([str(feed)], store, encoder)
    assert len(again.failed) == 1 and store.count("articles") == 2


def test_stdin_jsonl(store: IndexReader, encoder: FakeEncoder) -> None:
    lines = (EXAMPLES / "wire-copies.jsonl").read_bytes()
    report = ingest(["-"], store, encoder, stdin=io.BytesIO(lines))
    assert report.added == 3 and not report.failed
    (row,) = [a for a in store.listing() if a.outlet == "Morning Post"]
    assert row.source_path == "<stdin>"
    again = ingest(["-"], store, encoder, stdin=io.BytesIO(lines))
    assert (again.added, again.unchanged) == (0, 3)
    over = ingest(["-"], store, encoder, stdin=io.BytesIO(lines), max_bytes=100)
    assert "<stdin>: input is over the" in str(over.failed[0])


def test_stdin_items_without_ids_are_known_by_content_so_pipes_add_up(
    store: IndexReader, encoder: FakeEncoder
) -> None:
    one = b'{"title": "one", "body": "The first piped story."}\n'
    two = b'{"title": "two", "body": "The second piped story."}\n'
    assert ingest(["-"], store, encoder, stdin=io.BytesIO(one)).added == 1
    second = ingest(["-"], store, encoder, stdin=io.BytesIO(two))
    # Line 1 of this pipe is not line 1 of the last one: nothing is replaced.
    assert (second.added, second.updated, second.removed) == (1, 0, 0)
    assert sorted(a.headline for a in store.listing()) == ["one", "two"]
    again = ingest(["-"], store, encoder, stdin=io.BytesIO(one))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert store.count("articles") == 2


def test_near_duplicate_wire_copies_are_one_story_cited_once(
    newsbot: Newsbot, store: IndexReader, encoder: FakeEncoder, archive: Path
) -> None:
    ingest([str(archive)], store, encoder)
    storm = [a for a in store.listing() if "storm" in a.headline.lower() or "Storm" in a.headline]
    assert len(storm) == 3 and len({a.story_id for a in storm}) == 1
    others = [a for a in store.listing() if a not in storm]
    assert len({a.story_id for a in others}) == len(others)  # nothing else grouped
    answer = newsbot.ask("How many homes did the storm knock out power to?")
    assert STORM in answer.text
    cited = {c.article_id for c in answer.citations}
    assert len(cited & {a.id for a in storm}) == 1  # one copy cited
    (citation,) = [c for c in answer.citations if c.article_id in {a.id for a in storm}]
    outlets = {"Valley Times", "Riverton Herald", "Morning Post"}
    assert set(citation.also_ran_in) == outlets - {citation.attribution}
    retrieved = [r.article_id for r in answer.retrieved]
    assert len(set(retrieved) & {a.id for a in storm}) == 1  # the story appears once


def test_exact_duplicate_files_are_one_article_with_both_sources(
    store: IndexReader, encoder: FakeEncoder, archive: Path
) -> None:
    shutil.copy(archive / "council-vote.md", archive / "council-vote-copy.md")
    ingest([str(archive)], store, encoder)
    (row,) = [a for a in store.listing() if a.headline.startswith("Riverton council")]
    assert row.sources == 2
    assert compute_stats(store.listing()).exact_duplicates == 1


QUAKE = (
    "A magnitude 5.8 earthquake struck off the northern coast early on Tuesday, shaking "
    "buildings in three coastal towns and sending residents into the streets, the national "
    "seismology institute said. There were no immediate reports of serious damage or "
    "injuries, but officials said ferry services were suspended while harbour walls were "
    "inspected."
)


@pytest.mark.parametrize("body", [QUAKE, "A quake shook the coast; no one was hurt."])
def test_same_text_from_two_outlets_is_two_articles_in_one_story(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path, body: str
) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    coast = {"Source": "Coast Daily", "Published": "2024-04-02T06:00:00+02:00",
             "Url": "https://coastdaily.example/quake"}  # fmt: skip
    write_article(folder, "coast.txt", "Quake shakes northern coast", body, **coast)
    write_article(folder, "coast-copy.txt", "Quake shakes northern coast", body, **coast)
    write_article(folder, "harbour.txt", "Quake shakes northern coast", body,
                  Source="Harbour Times", Published="2024-04-02T07:30:00+02:00",
                  Url="https://harbourtimes.example/quake")  # fmt: skip
    report = ingest([str(folder)], store, encoder)
    # Three files, two articles: the copy of coast.txt is a second source of it.
    assert (report.added, report.copies, report.files) == (2, 1, 3)
    assert "2 added" in summary(report, Path("index"))
    assert "1 exact copy stored once" in summary(report, Path("index"))
    listed = store.listing()
    (harbour,) = filter_articles(listed, outlet="harbour times")
    assert harbour.url == "https://harbourtimes.example/quake"
    assert harbour.published == datetime.fromisoformat("2024-04-02T07:30:00+02:00")
    (coast_row,) = filter_articles(listed, outlet="coast daily")
    assert coast_row.sources == 2 and coast_row.story_id == harbour.story_id
    assert store.also_ran_in(coast_row.id) == ("Harbour Times",)
    embedded = encoder.texts_embedded
    again = ingest([str(folder)], store, encoder)
    assert (again.added, again.updated, again.unchanged, again.copies) == (0, 0, 2, 0)
    assert encoder.texts_embedded == embedded


def test_list_filters_by_outlet_and_period(
    store: IndexReader, encoder: FakeEncoder, archive: Path
) -> None:
    ingest([str(archive)], store, encoder)
    listed = store.listing()
    herald = filter_articles(listed, outlet="riverton HERALD")
    assert {a.headline for a in herald} == {
        "Hospital opens children's wing",
        "School board picks new superintendent",
        "Bridge repairs to close Elm Street for a week",
        "Thousands without power after valley storm",
    }
    window = filter_articles(
        listed, since=parse_period("2024-03-12"), before=parse_period("2024-03-14", end=True)
    )
    # Days are the newsroom's (UTC here): 2024-03-11 20:05 -05:00 is the 12th, in the
    # filter and in the date shown.
    assert [local_day(a.published, UTC) for a in window if a.published] == [
        "2024-03-14", "2024-03-12", "2024-03-12", "2024-03-12",
    ]  # fmt: skip
    assert all(a.published for a in filter_articles(listed, since=parse_period("2024-01")))
    assert len(filter_articles(listed, before=parse_period("2024-03", end=True))) == 10


def _listed(n: int, published: datetime | None) -> ListedArticle:
    return ListedArticle(
        id=n, headline=f"Story {n}", outlet="Herald", credits=(), byline=None,
        published=published, url=None, story_id=n, chunks=1, source_path="x.txt", sources=1,
    )  # fmt: skip


def test_list_periods_are_a_year_a_month_a_day_or_free_text() -> None:
    utc = [
        datetime(2023, 12, 31, 12, tzinfo=UTC), datetime(2024, 3, 1, 9, tzinfo=UTC),
        datetime(2024, 3, 20, 12, tzinfo=UTC), datetime(2024, 4, 1, 0, 30, tzinfo=UTC),
        datetime(2026, 1, 5, tzinfo=UTC),
    ]  # fmt: skip
    listed = [_listed(i, d) for i, d in enumerate(utc)] + [_listed(9, None)]

    def ids(since: str | None, until: str | None) -> list[int]:
        today = date(2024, 4, 10)
        found = filter_articles(
            listed,
            since=parse_period(since, today=today),
            before=parse_period(until, end=True, today=today),
        )
        return [a.id for a in found]

    assert ids("2024", None) == [1, 2, 3, 4]
    assert ids("2024", "2024") == [1, 2, 3]
    assert ids("March 2024", "March 2024") == [1, 2]  # all of March, not its first day
    assert ids("2024-03", "2024-03") == [1, 2]
    assert ids(None, "2024-03-20") == [0, 1, 2]
    assert ids("March 20, 2024", "2024-03-20") == [2]
    assert ids("last month", None) == [1, 2, 3, 4]
    assert ids("2024-03-20T12:00:00+00:00", "2024-03-20T12:00:00+00:00") == [2]
    with pytest.raises(NewsbotError, match="cannot read the date 'soon'"):
        parse_period("soon")


def test_list_and_stats_use_the_newsroom_time_zone_for_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_env: Settings
) -> None:
    monkeypatch.setenv("NEWSBOT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSBOT_ENCODER", "fake")
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "America/New_York")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "late"
    folder.mkdir()
    # 22:00 in New York on March 31 is already April 1 in UTC.
    write_article(folder, "late.txt", "Late vote", "The council voted late at night.",
                  Published="2024-03-31T22:00:00-04:00")  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0

    def listing(*args: str) -> str:
        return runner.invoke(app, ["list", *args]).output

    assert "2024-03-31  " in listing("--until", "2024-03-31")
    assert listing("--since", "2024-04-01").rstrip().endswith("0 articles")
    march = listing("--since", "March 2024", "--until", "March 2024")
    assert march.rstrip().endswith("1 articles")
    assert "        1  2024-03" in runner.invoke(app, ["stats"]).output
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "UTC")  # the same rule, in UTC days
    assert "2024-04-01  " in listing("--since", "2024-04-01")
    assert listing("--until", "2024-03-31").rstrip().endswith("0 articles")
    assert "        1  2024-04" in runner.invoke(app, ["stats"]).output


def test_rm_by_id_and_by_path(store: IndexReader, encoder: FakeEncoder, archive: Path) -> None:
    ingest([str(archive)], store, encoder)
    html = next(a for a in store.listing() if a.source_path.endswith("hospital-wing.html"))
    result = remove(store, [str(html.id), str(archive / "wire-copies.jsonl"), "99999"])
    assert result.removed == {str(html.id): 1, str(archive / "wire-copies.jsonl"): 3}
    assert result.missing == ["99999"]
    assert store.count("articles") == 7
    consistent(store)
    # The archive stays the source of truth: files still there come back on the next ingest.
    assert ingest([str(archive)], store, encoder).added == 4


def test_prune_and_cli_list_stats_rm(
    tmp_path: Path, archive: Path, monkeypatch: pytest.MonkeyPatch, backend_env: Settings
) -> None:
    monkeypatch.setenv("NEWSBOT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSBOT_ENCODER", "fake")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(archive)]).exit_code == 0
    listed = runner.invoke(app, ["list", "--outlet", "Morning Post"])
    assert listed.exit_code == 0
    assert "Valley storm cuts power to 30,000 homes  [story" in listed.output
    assert listed.output.rstrip().endswith("1 articles")
    as_json = [json.loads(x) for x in runner.invoke(app, ["list", "--json"]).output.splitlines()]
    assert len(as_json) == 11 and {x["story_copies"] for x in as_json} == {1, 3}
    stats = runner.invoke(app, ["stats"]).output
    where = "postgresql, postgresql://" if backend_env.database_url else "embedded, "
    assert stats.startswith(f"Index: {where}")
    assert "\n11 articles, 11 chunks, 11 sources (7 files)" in stats
    assert "3 copies grouped into 1 story" in stats
    assert "        5  Riverton Gazette" in stats and "        1  undated" in stats
    (archive / "gazette-atom.xml").unlink()
    pruned = runner.invoke(app, ["ingest", "--prune", str(archive)])
    assert "0 added, 0 updated, 10 unchanged, 1 removed, 0 failed" in pruned.output
    rm = runner.invoke(app, ["rm", str(archive / "archive.json"), "nope.md"])
    assert rm.exit_code == 1
    assert "archive.json: 2 articles left the index" in rm.output
    assert "not in the index: nope.md" in rm.output
    assert json.loads(runner.invoke(app, ["stats", "--json"]).output)["articles"] == 8


def test_cli_map_option_and_exit_code_for_partial_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSBOT_ENCODER", "fake")
    path = tmp_path / "odd.jsonl"
    path.write_text(
        json.dumps({"hed": "Dam inspection ordered", "copy": "Engineers will inspect it."})
        + "\n{broken\n"
    )
    result = CliRunner().invoke(app, ["ingest", "--map", "headline=hed", "--map", "body=copy",
                                      str(path)])  # fmt: skip
    assert result.exit_code == 2
    assert f"failed: {path}:2: not valid JSON" in result.output
    assert "1 added" in result.output
    bad = CliRunner().invoke(app, ["ingest", "--map", "nonsense", str(path)])
    assert bad.exit_code == 1 and "FIELD=KEY" in bad.output


def test_write_article_helper_still_builds_txt(tmp_path: Path) -> None:
    path = write_article(tmp_path, "x.txt", "Head", "Body sentence.", Source="S")
    assert path.read_text().startswith("Head\nSource: S\n")
