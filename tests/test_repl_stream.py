"""The REPL with a chat model: the answer prints as it arrives, then the verified version."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.records import Answer, Citation, Turn, Verification
from bot.repl import ChatSession, after_stream

CITATION = Citation(1, 1, "Mayor resigns", "Gazette", None, None, "/n/mayor.txt", "Q.", 0, 2)


def streaming_ask(raw: str, final: Answer) -> Callable[..., Answer]:
    def ask(
        question: str, history: Sequence[Turn], on_token: Callable[[str], None] | None = None
    ) -> Answer:
        assert on_token is not None
        for piece in raw.split(" "):
            on_token(piece + " ")
        return final

    return ask


def session_output(ask: Callable[..., Answer], *lines: str) -> str:
    out: list[str] = []
    session = ChatSession(ask, lambda s: out.append(s + "\n"), write=out.append)
    for line in lines:
        session.handle(line)
    return "".join(out)


def model_answer(text: str, outcome: str, notes: Sequence[str] = ()) -> Answer:
    return Answer(
        "q",
        text,
        False,
        [CITATION],
        notes=list(notes),
        answered_by="m",
        model="m",
        verification=Verification(outcome, text),
    )


def test_a_verified_stream_is_followed_by_its_sources_only() -> None:
    raw = "The mayor resigned on Monday [1]."
    out = session_output(streaming_ask(raw, model_answer(raw, "passed")), "Who resigned?")
    assert out == (
        "The mayor resigned on Monday [1]. \n\nSources:\n[1] Gazette · undated — Mayor resigns\n"
    )


def test_a_changed_answer_is_printed_again_verified() -> None:
    raw = "The mayor resigned on Monday [1]. She was “fed up” [3]."
    final = model_answer(
        "The mayor resigned on Monday [1].",
        "edited",
        ["Verification removed 1 of 2 sentences of the model's answer: cites [3], ..."],
    )
    out = session_output(streaming_ask(raw, final), "Who resigned?")
    assert out == (
        "The mayor resigned on Monday [1]. She was “fed up” [3]. \n\n"
        "Verified answer:\n"
        "The mayor resigned on Monday [1].\n\n"
        "Verification removed 1 of 2 sentences of the model's answer: cites [3], ...\n\n"
        "Sources:\n[1] Gazette · undated — Mayor resigns\n"
    )


def test_history_keeps_the_verified_text() -> None:
    seen: list[tuple[Turn, ...]] = []
    final = model_answer("The mayor resigned [1].", "edited")

    def ask(question: str, history: Sequence[Turn], on_token: Callable[[str], None]) -> Answer:
        seen.append(tuple(history))
        on_token("The mayor resigned [1]. And was arrested [2].")
        return final

    session_output(ask, "Who resigned?", "Why?")
    assert seen[1] == (Turn("Who resigned?", "The mayor resigned [1]."),)


def test_nothing_streamed_prints_the_answer_as_before() -> None:
    extractive = Answer("q", "The mayor resigned on Monday. [1]", False, [CITATION])
    assert after_stream(extractive, "") == (
        "The mayor resigned on Monday. [1]\n\nSources:\n[1] Gazette · undated — Mayor resigns"
    )


def test_renumbered_citations_are_shown_again_with_a_note() -> None:
    note = "Verification renumbered the model's sources to the ones shown."
    final = model_answer("The mayor resigned on Monday [1].", "edited", [note])
    assert after_stream(final, "The mayor resigned on Monday [2].") == (
        "\n\nVerified answer:\nThe mayor resigned on Monday [1].\n\n"
        f"{note}\n\nSources:\n[1] Gazette · undated — Mayor resigns"
    )


def test_an_error_after_streaming_starts_on_a_new_line() -> None:
    def ask(question: str, history: Sequence[Turn], on_token: Callable[[str], None]) -> Answer:
        on_token("The mayor")
        raise RuntimeError("index exploded")

    out = session_output(ask, "Who resigned?")
    assert out.startswith("The mayor\nError: RuntimeError: index exploded")


def test_a_model_failing_mid_stream_is_followed_by_the_quoted_answer() -> None:
    final = Answer(
        "q",
        "The mayor resigned on Monday. [1]",
        False,
        [CITATION],
        notes=["The model (m) was unavailable (connection failed); this is the quoted answer."],
        model="m",
    )
    out = session_output(streaming_ask("The mayor", final), "Who resigned?")
    assert out == (
        "The mayor \n\nQuoted answer:\nThe mayor resigned on Monday. [1]\n\n"
        "The model (m) was unavailable (connection failed); this is the quoted answer.\n\n"
        "Sources:\n[1] Gazette · undated — Mayor resigns\n"
    )


def test_a_failed_question_is_remembered_until_the_next_answer() -> None:
    def ask(question: str, history: Sequence[Turn], on_token: Callable[[str], None]) -> Answer:
        if question == "bad":
            raise RuntimeError("no model")
        return model_answer("The mayor resigned [1].", "passed")

    session = ChatSession(ask, lambda s: None, write=lambda s: None)
    session.handle("bad")
    assert session.failed
    session.handle("good")
    assert not session.failed
