"""Errors newsbot raises on purpose. Their messages are written for users and safe to show."""

from __future__ import annotations


class NewsbotError(Exception):
    """Something the user can act on; the CLI prints the message without a traceback."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid."""


class QuestionError(NewsbotError):
    """The question can't be asked as written (empty, too long, a mistyped filter).

    A usage error: the CLI exits 2 with its usage line, the REPL and Slack show the message.
    """


class DateRangeError(QuestionError):
    """A date in a question's filter, a time phrase or --as-of lies outside the years newsbot
    handles (bot/date_range.py); the message names the date and the range. A usage error."""


class ArticleError(NewsbotError):
    """One input could not be read as an article. Other inputs still go through."""

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class IndexMissingError(NewsbotError):
    """There is no index where one was expected."""


class IndexFormatError(NewsbotError):
    """The index on disk was written by another version or with another encoder."""


class IndexDamagedError(NewsbotError):
    """The index's database is damaged (bot/index_health.py): the message names the file,
    what SQLite said, and what to do (restore it, or rebuild the index by ingesting)."""


class IndexBusyError(NewsbotError):
    """Another ingest holds the index's write lock."""


class IndexUnavailableError(NewsbotError):
    """The index's database can't be reached (down, wrong address, refused login)."""


class ModelError(NewsbotError):
    """The chat model gave no usable answer (down, too slow, refused, or garbled).

    Never shown as a failure: `ask()` answers extractively and notes that the model was
    unavailable. `reason` is a short phrase such as "HTTP 503 after 3 tries".
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
