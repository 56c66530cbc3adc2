from __future__ import annotations

from collections.abc import Sequence

from bot.records import Answer, Turn
from bot.repl import ChatSession, run


def scripted(lines: list[str]):  # type: ignore[no-untyped-def]
    it = iter(lines)
    return lambda: next(it, None)


def test_an_error_in_one_question_does_not_end_the_session() -> None:
    printed: list[str] = []
    seen: list[tuple[str, tuple[Turn, ...]]] = []

    def ask(question: str, history: Sequence[Turn]) -> Answer:
        seen.append((question, tuple(history)))
        if "boom" in question:
            raise RuntimeError("index exploded")
        return Answer(question, f"answer to {question} [1]", False)

    session = ChatSession(ask, printed.append)
    run(session, scripted(["first question", "boom", "second question", "/new", "third"]))
    assert any("Error: RuntimeError: index exploded" in p for p in printed)
    assert "answer to second question [1]" in printed
    # history carries earlier turns, skips the failed one, and /new clears it
    assert [t.question for t in seen[2][1]] == ["first question"]
    assert seen[3] == ("third", ())


def test_quit_and_end_of_input_stop_the_loop() -> None:
    printed: list[str] = []
    session = ChatSession(lambda q, h: Answer(q, "x", False), printed.append)
    run(session, scripted(["/quit", "not reached"]))
    assert not any(p == "x" for p in printed)
    run(session, scripted([]))  # Ctrl-D / end of piped input
