"""Archive boundaries and other holes (issue 16, part 6): symlinks out of the archive,
control-character references in HTML, mixed encodings, repeated text, questions that
aren't UTF-8, and outlet filters matched literally. (Feed redirects: test_bounded_ingest.py;
broken pipes: tests/integration/test_hostile_cli.py.)"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.index import IndexReader
from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest
from bot.loaders import expand_paths, load_source
from tests.conftest import write_article
from tests.fakes import FakeEncoder


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """archive/ with a story, a symlink to a file outside it, and one to a file inside it."""
    (tmp_path / "secret").mkdir()
    write_article(
        tmp_path / "secret", "passwords.txt", "Newsroom passwords",
        "The newsroom wifi password is swordfish.", Source="IT desk",
    )  # fmt: skip
    folder = tmp_path / "archive"
    (folder / "2024").mkdir(parents=True)
    write_article(folder / "2024", "museum.txt", "Museum opens", "The museum opened a wing.")
    (folder / "link.txt").symlink_to(tmp_path / "secret" / "passwords.txt")
    (folder / "alias.txt").symlink_to(folder / "2024" / "museum.txt")
    return folder


def test_symlinks_leading_out_of_the_archive_are_skipped_with_a_note(
    archive: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        files, errors = expand_paths([str(archive)])
    assert [f.name for f in files] == ["museum.txt"]  # alias.txt is the same file, inside
    assert not errors
    [note] = [r.getMessage() for r in caplog.records]
    secret = archive.parent / "secret" / "passwords.txt"
    assert (
        note == f"skipped {archive / 'link.txt'}: a symbolic link to {secret}, outside {archive}/"
    )


def test_symlinks_found_by_a_pattern_are_judged_against_where_it_starts(archive: Path) -> None:
    files, _ = expand_paths([f"{archive}/*.txt"])
    assert [f.name for f in files] == ["alias.txt"]


def test_a_symlink_named_on_the_command_line_is_read(archive: Path) -> None:
    files, _ = expand_paths([str(archive / "link.txt")])
    assert [f.name for f in files] == ["link.txt"]


def test_the_target_of_an_outside_symlink_is_not_answerable(
    archive: Path, store: IndexReader, newsbot: Newsbot, encoder: FakeEncoder
) -> None:
    report = ingest([str(archive)], store, encoder)
    assert report.added == 1 and not report.failed
    answer = newsbot.ask("What is the newsroom wifi password?")
    assert "swordfish" not in answer.text
    assert [a.headline for a in store.listing()] == ["Museum opens"]


@pytest.mark.parametrize("ref", ["&#11;", "&#x0B;", "&#0;", "&#27;", "&#x1b;[2J", "&#xD800;"])
def test_a_control_character_reference_in_html_is_dropped_not_fatal(ref: str) -> None:
    page = (
        "<html><head><title>Tram line approved</title></head><body><article>"
        f"<p>The council approved the new tram line on Wednesday.{ref}</p>"
        "<p>Construction starts in the autumn, officials said.</p></article></body></html>"
    )
    [article] = load_source("tram.html", page.encode()).articles
    assert article.body.startswith("The council approved the new tram line on Wednesday.")
    assert "\x0b" not in article.body and "\x1b" not in article.body


def test_windows_1252_references_read_as_html_does() -> None:
    page = (
        "<html><body><article><p>Prices rose 5&#150;7 percent, the &#147;board&#148; said.</p>"
        "</article></body></html>"
    )
    [article] = load_source("a.html", page.encode()).articles
    assert article.body == "Prices rose 5–7 percent, the “board” said."


def test_a_file_mixing_utf8_and_latin1_is_decoded_line_by_line() -> None:
    data = (
        "Café owners protest\nSource: Gazette\n\nCafé owners protested on Thursday.\n\n".encode()
        + "The protest was naïve, one councillor said.\n".encode("latin-1")
    )
    article = load_source("mixed.txt", data).articles[0]
    assert article.headline == "Café owners protest"
    assert article.body == (
        "Café owners protested on Thursday.\n\nThe protest was naïve, one councillor said."
    )


def test_a_whole_latin1_file_is_still_read_as_one_encoding() -> None:
    data = "Café\n\nLes cafés du port ont protesté jeudi contre les loyers.\n".encode("latin-1")
    assert load_source("a.txt", data).articles[0].body.startswith("Les cafés du port")


def _index_size(folder: Path, tmp_path: Path, name: str, encoder: FakeEncoder) -> int:
    store = EmbeddedIndex.open(
        tmp_path / name, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    assert ingest([str(folder)], store, encoder).added == 1
    store.close()
    return sum(f.stat().st_size for f in (tmp_path / name).rglob("*") if f.is_file())


def test_repeated_text_does_not_multiply_the_index(tmp_path: Path, encoder: FakeEncoder) -> None:
    paragraph = "The harbour board met again and discussed the same budget line once more."
    once, many = tmp_path / "once", tmp_path / "many"
    once.mkdir()
    many.mkdir()
    write_article(once, "a.txt", "Board meets", paragraph, "The board adjourned.")
    write_article(many, "a.txt", "Board meets", *[paragraph] * 2000, "The board adjourned.")
    repeated_text = (len(paragraph) + 2) * 1999
    extra = _index_size(many, tmp_path, "i-many", encoder) - _index_size(
        once, tmp_path, "i-once", encoder
    )
    # The copies are stored in the article body (once per copy) and nowhere else.
    assert extra < 1.5 * repeated_text, (extra, repeated_text)


def test_a_question_that_is_not_utf8_is_answered(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_article(tmp_path, "cafe.txt", "Café rents", "Café owners protested on Thursday.")
    cli("ingest", str(tmp_path / "cafe.txt"))
    # How sys.argv holds "café" typed on a Latin-1 terminal.
    question = b"When did caf\xe9 owners protest?".decode("utf-8", "surrogateescape")
    result = cli("ask", question)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Café owners protested on Thursday.")
    chat = cli("chat", input=b"When did caf\xe9 owners protest?\n\xff\xfe\n/quit\n")
    assert chat.exit_code == 0, chat.output
    assert "Café owners protested on Thursday." in chat.output


def test_outlet_filters_match_literally(cli, backend_env: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """On either backend (`backend_env`)."""
    write_article(tmp_path, "a.txt", "Museum opens", "The museum opened a wing.", Source="Gazette")
    write_article(
        tmp_path, "b.txt", "Zoo opens", "The zoo opened a new wing.", Source="Herald_Times"
    )
    cli("ingest", str(tmp_path))
    for outlet in ("%", "g%e", "_erald"):
        result = cli("ask", f"What opened a wing? from:{outlet}")
        assert f"No indexed article is from {outlet.replace('_', ' ')}." in result.output
    assert "The museum opened a wing." in cli("ask", "What opened a wing? from:gaz").output


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinked_folders_inside_the_archive_are_not_followed(archive: Path) -> None:
    (archive / "elsewhere").symlink_to(archive.parent / "secret", target_is_directory=True)
    files, _ = expand_paths([str(archive)])
    assert "passwords.txt" not in [f.name for f in files]
