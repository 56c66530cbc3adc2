"""`newsbot chat`: a conversation in the terminal. Follow-ups use the previous turn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.messages import expected, terminal_text
from bot.records import Answer, Timeline, Turn
from bot.render import Emphasis, plain, sources_text, timeline_sources, timeline_text, to_text
from bot.safe_text import terminal_line, valid_unicode

log = logging.getLogger(__name__)

HELP = """Ask a question about the indexed articles; follow-up questions use the last answer.
Commands:
  /sources   full sources of the last answer (quotes, files, links, newer coverage)
  /timeline TOPIC
             the story so far: one sentence per dated article, oldest first
             (filters work as in questions: from:, after:, "in March 2018")
  /new       start a new conversation (forget earlier questions)
  /help      this help
  /quit      leave (also /exit, Ctrl-D)"""

EMPTY_LINE = "Type a question about the articles, or /help for the commands."

# ask(question, history) -> Answer; with a `write` function the session also passes
# on_token=..., which receives a chat model's answer as it arrives.
AskFn = Callable[..., Answer]
TimelineFn = Callable[[str], Timeline]  # topic -> the story so far
QUIT = {"/quit", "/exit", "quit", "exit", ":q"}


class ChatSession:
    """The REPL's state and commands, independent of how lines are read or printed."""

    def __init__(
        self,
        ask: AskFn,
        print_: Callable[[str], None],
        *,
        debug: bool = False,
        write: Callable[[str], None] | None = None,
        strong: Emphasis = plain,
        timeline: TimelineFn | None = None,
    ) -> None:
        self.ask = ask
        self.timeline = timeline
        self.print = print_
        self.strong = strong  # how the short answer is marked (bold on a terminal)
        self.write = write  # prints without a newline: streamed text
        self.debug = debug
        self.history: list[Turn] = []
        self.last: Answer | None = None
        self.last_sources: str | None = None  # /sources of the last answer or timeline
        self.failed = False  # the last question ended in an error (a one-shot exits non-zero)

    def handle(self, line: str) -> bool:
        """Run one input line; False means the user wants to leave."""
        line = line.strip()
        if not line:
            self.print(EMPTY_LINE)
            return True
        command = line.lower()
        if command in QUIT:
            return False
        if command in {"/help", "help", "?"}:
            self.print(HELP)
        elif command == "/sources":
            self.print(self.last_sources or "No answer yet.")
        elif command == "/timeline" or command.startswith("/timeline "):
            self._timeline(line[len("/timeline") :].strip())
        elif command == "/new":
            self.history.clear()
            self.print("New conversation.")
        elif command.startswith("/"):
            shown = terminal_line(line.split()[0])
            self.print(f"Unknown command {shown}. Type /help for the commands.")
        else:
            self._question(line)
        return True

    def _question(self, question: str) -> None:
        streamed: list[str] = []
        self.failed = True  # until an answer is printed

        def on_token(text: str) -> None:
            assert self.write is not None
            streamed.append(text)
            self.write(text)

        try:
            if self.write is None:
                answer = self.ask(question, tuple(self.history))
            else:
                answer = self.ask(question, tuple(self.history), on_token=on_token)
        except Exception as exc:  # one bad question must not end the session
            if streamed:
                self.print("")
            if not expected(exc):
                log.exception("question failed")
            self.print(f"Error: {terminal_text(exc, debug=self.debug)}")
            return
        self.failed = False
        self.last = answer
        self.last_sources = sources_text(answer)
        self.history.append(Turn(question, answer.text))
        self.print(after_stream(answer, "".join(streamed), self.strong))

    def _timeline(self, topic: str) -> None:
        """`/timeline TOPIC`: not a turn of the conversation (follow-ups don't use it)."""
        if self.timeline is None:
            self.print("Timelines are not available here.")
            return
        if not topic:
            self.print("Usage: /timeline TOPIC, for example /timeline Riverton transit strike")
            return
        self.failed = True
        try:
            timeline = self.timeline(topic)
        except Exception as exc:
            if not expected(exc):
                log.exception("timeline failed")
            self.print(f"Error: {terminal_text(exc, debug=self.debug)}")
            return
        self.failed = False
        self.last_sources = timeline_sources(timeline)
        self.print(timeline_text(timeline, full_sources=False))


def after_stream(answer: Answer, streamed: str, strong: Emphasis = plain) -> str:
    """What to print once the answer is complete, given the text already streamed.

    Nothing streamed: the whole answer. The stream was the answer: just its notes and
    sources. Verification changed it, renumbered its citations, or the quoted answer
    replaced it: the final version.
    """
    if not streamed:
        return to_text(answer, full_sources=False, strong=strong)
    if answer.answered_by == answer.model and " ".join(streamed.split()) == " ".join(
        answer.text.split()
    ):
        return "\n\n" + to_text(answer, full_sources=False, with_text=False)
    header = "Verified answer:" if answer.answered_by == answer.model else "Quoted answer:"
    return f"\n\n{header}\n" + to_text(answer, full_sources=False, strong=strong)


def line_reader(history_file: Path | None, interactive: bool) -> Callable[[], str | None]:
    """prompt_toolkit (line editing, history) on a terminal; plain lines otherwise."""
    if interactive:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        history = InMemoryHistory()
        if history_file is not None:
            try:
                history_file.touch(exist_ok=True)
                history = FileHistory(str(history_file))  # type: ignore[assignment]
            except OSError:
                log.warning("cannot write history to %s; keeping it in memory", history_file)
        session: PromptSession[str] = PromptSession(history=history)

        def read() -> str | None:
            try:
                return session.prompt("newsbot> ")
            except (EOFError, KeyboardInterrupt):
                return None

        return read

    import sys

    def read_plain() -> str | None:
        # Bytes, decoded here: a line that isn't UTF-8 must not end the session.
        line = sys.stdin.buffer.readline()
        return valid_unicode(line.decode("utf-8", "surrogateescape")) if line else None

    return read_plain


def run(session: ChatSession, read: Callable[[], str | None]) -> None:
    session.print("newsbot — ask about the indexed articles. /help for commands, /quit to leave.")
    while (line := read()) is not None:
        if not session.handle(line):
            break
