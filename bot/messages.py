"""What a user reads when something fails, for every front (CLI, REPL, Slack).

A NewsbotError says what happened and what to do, and is shown as it is. Anything else
is a bug: the terminal shows its type and text (the traceback with --debug); Slack shows
only a reference to the log, since a stray exception text may quote anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bot.errors import NewsbotError, QuestionError

DEBUG_HINT = " (run with --debug for the traceback)"
COULD_NOT_ANSWER = "Sorry, I couldn't answer that: {reason}"
FAILED = (
    "Sorry, something went wrong while answering. The details are in newsbot's log "
    "(reference {ref})."
)


def expected(exc: BaseException) -> bool:
    """A failure the user can act on (as opposed to a bug)."""
    return isinstance(exc, NewsbotError)


def terminal_text(exc: BaseException, *, debug: bool = False) -> str:
    """The line after "Error: " in the CLI and the REPL."""
    from bot.safe_text import terminal_text as safe  # a file name may carry escape codes

    if expected(exc):
        return safe(str(exc))
    return safe(f"{type(exc).__name__}: {exc}") + ("" if debug else DEBUG_HINT)


@dataclass(frozen=True)
class SlackFailure:
    text: str
    ref: str | None  # the log reference of an unexpected failure
    usage: bool = False  # a question that can't be asked as written: how to ask, not a failure


def slack_failure(exc: BaseException) -> SlackFailure:
    """What Slack shows instead of an answer."""
    if isinstance(exc, QuestionError):
        return SlackFailure(str(exc), None, usage=True)
    if expected(exc):
        return SlackFailure(COULD_NOT_ANSWER.format(reason=exc), None)
    ref = uuid.uuid4().hex[:8]
    return SlackFailure(FAILED.format(ref=ref), ref)
