"""Options every `newsbot` command takes, before or after the command's name.

`newsbot --index /srv/idx ingest archive/` and `newsbot ingest archive/ --index /srv/idx` do
the same: the options are declared once on the top-level callback and copied onto every
command (and sub-command) by `GlobalOptionsGroup`, so each command's `--help` lists them.
Their callbacks write into the one `State` of the invocation; given twice, the one nearer
the end of the command line wins.
"""

from __future__ import annotations

import copy
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Newsbot

# parameter names, as typer names them
GLOBAL_OPTIONS = ("index", "database_url", "verbose", "debug")


class State:
    """The global options of one invocation; settings are built from them on first use."""

    def __init__(self) -> None:
        self.overrides: dict[str, Any] = {}
        self.verbose = False
        self.debug = False
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from pydantic import ValidationError

            from bot.config import Settings
            from bot.errors import ConfigError

            try:
                self._settings = Settings(**self.overrides)
            except ValidationError as exc:
                problems = "; ".join(
                    f"NEWSBOT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                    for e in exc.errors()
                )
                raise ConfigError(f"invalid setting: {problems}") from None
        return self._settings

    def newsbot(self) -> Newsbot:
        from bot.core import Newsbot

        return Newsbot(self.settings)


def state(ctx: typer.Context) -> State:
    """The invocation's State, made by the first option callback that needs it."""
    return ctx.ensure_object(State)


def configure_logging(verbose: bool, debug: bool) -> None:
    """Log to stderr at the level the options ask for; again when a later option changes it.

    Like logging.basicConfig, a handler is added only when the root logger has none (a host
    program's or pytest's handlers are left alone, only the level changes).
    """
    from bot.safe_text import TerminalFormatter

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    ours: list[logging.Handler] = [h for h in root.handlers if getattr(h, "newsbot", False)]
    if not root.handlers:
        stderr = logging.StreamHandler(sys.stderr)
        # Log lines name files and feeds: printed with their control characters escaped.
        stderr.setFormatter(TerminalFormatter("%(levelname)s %(name)s: %(message)s"))
        stderr.newsbot = True  # type: ignore[attr-defined]
        root.addHandler(stderr)
        ours = [stderr]
    for handler in ours:
        handler.setLevel(level)  # some libraries set their own loggers to DEBUG
    root.setLevel(level)
    # trafilatura warns about every page it can't use; ingest reports those itself
    logging.getLogger("trafilatura").setLevel(logging.NOTSET if debug else logging.ERROR)


def _set_index(ctx: typer.Context, value: Path | None) -> None:
    if value is not None:
        state(ctx).overrides["index"] = value


def _set_database_url(ctx: typer.Context, value: str | None) -> None:
    if value is not None:
        state(ctx).overrides["database_url"] = value


def _set_verbose(ctx: typer.Context, value: bool) -> None:
    if value:
        s = state(ctx)
        s.verbose = True
        configure_logging(s.verbose, s.debug)


def _set_debug(ctx: typer.Context, value: bool) -> None:
    if value:
        s = state(ctx)
        s.debug = True
        configure_logging(s.verbose, s.debug)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"newsbot {version('newsbot')}")
        except PackageNotFoundError:  # running from a source tree that isn't installed
            typer.echo("newsbot (version unknown: not installed)")
        raise typer.Exit()


IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help="Index directory (env NEWSBOT_INDEX; default: index/).",
        callback=_set_index,
        expose_value=False,
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="postgresql://...",
        help="Use this PostgreSQL database as the index (env NEWSBOT_DATABASE_URL).",
        callback=_set_database_url,
        expose_value=False,
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Log progress.", callback=_set_verbose, expose_value=False
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Log everything; show tracebacks.",
        callback=_set_debug,
        expose_value=False,
    ),
]
VersionOption = Annotated[
    bool,
    typer.Option(
        "--version", help="Print newsbot's version and exit.", callback=_version, is_eager=True
    ),
]


class GlobalOptionsGroup(TyperGroup):
    """The top-level command group: copies its global options onto every command under it."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        shared = [p for p in self.params if p.name in GLOBAL_OPTIONS]
        for command in self.commands.values():
            _add_options(command, shared)


def _add_options(command: Any, options: list[Any]) -> None:
    names = {p.name for p in command.params}
    command.params.extend(copy.copy(p) for p in options if p.name not in names)
    for sub in getattr(command, "commands", {}).values():  # a group of commands: feedback
        _add_options(sub, options)
