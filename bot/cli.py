"""The `newsbot` command. Each command parses options, calls the core, prints the result.

Heavy modules (torch, faiss, the model) are imported inside commands, so `--help` is instant.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.cli_globals import (
    DatabaseUrlOption,
    DebugOption,
    GlobalOptionsGroup,
    IndexOption,
    State,
    VerboseOption,
    VersionOption,
    configure_logging,
)
from bot.cli_globals import state as _state

if TYPE_CHECKING:
    from bot.llm import TokenFn
    from bot.records import Answer, Turn

app = typer.Typer(
    name="newsbot",
    help="Answers questions about the paper's articles, with cited passages.",
    no_args_is_help=True,
    cls=GlobalOptionsGroup,
    pretty_exceptions_enable=False,
    # Plain click help: rich's help panels import markdown-it and pygments, which doubled
    # the time `newsbot --help` takes.
    rich_markup_mode=None,
)
log = logging.getLogger("bot")
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Show NewsbotError (and unexpected errors) as one line; --debug shows the traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.errors import QuestionError
        from bot.messages import terminal_text

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise  # a closed pipe (`newsbot list | head -1`): click ends quietly
        except QuestionError as exc:  # a usage error: exit 2 with the command's usage line
            from bot.safe_text import terminal_text as safe

            message = safe(str(exc))
            hint = f"'{_argument_name(kwargs.get('ctx'))}'"
            raise typer.BadParameter(message[:1].lower() + message[1:], param_hint=hint) from None
        except Exception as exc:
            log.debug("failure", exc_info=exc)
            typer.echo(f"Error: {terminal_text(exc)}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _argument_name(ctx: object) -> str:
    """The command's first argument ("question", "topic"), for usage errors."""
    params = getattr(getattr(ctx, "command", None), "params", [])
    names = (p.name for p in params if getattr(p, "param_type_name", "") == "argument")
    return next((n for n in names if n), "question")


@app.callback()
def main_options(
    ctx: typer.Context,
    index: IndexOption = None,
    database_url: DatabaseUrlOption = None,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
    version: VersionOption = False,
) -> None:
    # The options' callbacks have filled the State; every command takes them too.
    options = _state(ctx)
    configure_logging(options.verbose, options.debug)


@app.command()
@user_errors
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, directories (recursive), globs, feed URLs, or - for JSON Lines on stdin."
        ),
    ],
    prune: Annotated[
        bool, typer.Option(help="Remove articles whose source files no longer exist.")
    ] = False,
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds to wait if another ingest holds the index (default: don't)."),
    ] = None,
    field_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=KEY",
            help="JSON: read FIELD (headline, body, url, published, outlet, byline, ...) "
            "from KEY; dotted paths reach into objects (outlet=source.name). Repeatable.",
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="K/N",
            help="Only the K-th of N stable shares of the sources: N workers, on N machines, "
            "fill one PostgreSQL index together.",
        ),
    ] = None,
) -> None:
    """Add articles to the index (only new or changed files are processed).

    Formats: .txt, .md (front matter), .html/.htm, .json, .jsonl, RSS/Atom (.rss, .atom,
    .xml or a URL). Exit code 2 when some inputs failed (each is named on stderr)."""
    from bot.index import open_index
    from bot.ingest import ingest as run_ingest
    from bot.ingest import parse_shard
    from bot.loaders import LoadOptions
    from bot.loaders.jsonfeed import FieldMap
    from bot.progress import IngestProgress, summary
    from bot.safe_text import terminal_line

    state = _state(ctx)
    settings = state.settings
    options = LoadOptions(fields=FieldMap.parse(field_map or []))
    shares = parse_shard(shard) if shard else None
    bot = state.newsbot()
    store = open_index(
        settings, fingerprint=bot.encoder.fingerprint, dim=bot.encoder.dim, create=True
    )
    with IngestProgress() as progress:
        report = run_ingest(
            paths,
            store,
            bot.encoder,
            prune=prune,
            max_bytes=settings.max_file_bytes,
            lock_timeout=settings.lock_timeout if wait is None else wait,
            progress=progress,
            options=options,
            fetch_timeout=settings.feed_timeout,
            shard=shares,
        )
    for failure in report.failed:
        typer.echo(f"failed: {terminal_line(str(failure))}", err=True)
    typer.echo(summary(report, store.info().location))
    if report.failed:
        raise typer.Exit(2)


AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Resolve 'yesterday', 'last week'... against this date (default: today).",
    ),
]
# Options of `ask` and `chat` for generative answers (bot/llm.py); each maps to a setting.
LlmOpt = Annotated[
    str | None,
    typer.Option(
        "--llm",
        help="Chat model that writes the answer, e.g. openai:gpt-4o-mini or ollama:llama3.1 "
        "(env NEWSBOT_LLM; 'none' for quoted answers only).",
    ),
]
LlmBaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--llm-base-url",
        help="The model's server, e.g. http://localhost:8080/v1 (env NEWSBOT_LLM_BASE_URL).",
    ),
]
LlmApiKeyOpt = Annotated[
    str | None,
    typer.Option("--llm-api-key", help="API key for the model's server (env NEWSBOT_LLM_API_KEY)."),
]
LlmTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--llm-timeout",
        help="Seconds the model may take per question before the quoted answer is shown "
        "(env NEWSBOT_LLM_TIMEOUT; default 60).",
    ),
]


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


def _use_llm(
    ctx: typer.Context,
    llm: str | None,
    base_url: str | None,
    api_key: str | None,
    timeout: float | None,
) -> None:
    options = {"llm": llm, "llm_base_url": base_url, "llm_api_key": api_key, "llm_timeout": timeout}
    _state(ctx).overrides.update({k: v for k, v in options.items() if v is not None})


def _check(ctx: typer.Context, question: str) -> None:
    """Refuse an empty, overlong or mistyped question before the model loads."""
    from bot.question_check import check_question

    check_question(question, _state(ctx).settings.max_question_chars)


@app.command()
@user_errors
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    long: Annotated[bool, typer.Option("--long", help="Allow a longer answer.")] = False,
    as_of: AsOf = None,
    llm: LlmOpt = None,
    llm_base_url: LlmBaseUrlOpt = None,
    llm_api_key: LlmApiKeyOpt = None,
    llm_timeout: LlmTimeoutOpt = None,
) -> None:
    """Answer one question and exit.

    Filters inside the question: from:OUTLET, after:YYYY-MM-DD, before:YYYY-MM-DD, on:DATE,
    and time phrases such as "last week" or "in February 2018".
    """
    from bot.progress import Activity
    from bot.render import to_json, to_text
    from bot.safe_text import json_dumps

    _use_llm(ctx, llm, llm_base_url, llm_api_key, llm_timeout)
    _check(ctx, question)
    with Activity("answering"):  # a cold start loads the model and the index first
        answer = _state(ctx).newsbot().ask(question, long=long, as_of=_date(as_of))
    if as_json:
        typer.echo(json_dumps(to_json(answer), indent=2))
    else:
        typer.echo(to_text(answer, strong=_emphasis()))


@app.command()
@user_errors
def timeline(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="What the story is about, in quotes.")],
    limit: Annotated[
        int,
        typer.Option(
            min=0, help="At most this many entries (0: all); the first and the latest stay."
        ),
    ] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    as_of: AsOf = None,
) -> None:
    """The story so far: one verbatim sentence per dated article about TOPIC, oldest first.

    Wire copies appear once. Filters work as in questions: from:OUTLET, after:/before:/on:,
    and time phrases such as "in March 2018" (which here restrict the timeline to them).
    """
    from bot.progress import Activity
    from bot.render import timeline_json, timeline_text

    with Activity("building the timeline"):
        story = _state(ctx).newsbot().timeline(topic, as_of=_date(as_of), limit=limit)
    if as_json:
        typer.echo(json.dumps(timeline_json(story), ensure_ascii=False, indent=2))
    else:
        typer.echo(timeline_text(story))


@app.command()
@user_errors
def chat(
    ctx: typer.Context,
    question: Annotated[
        str | None,
        typer.Argument(help="Answer this question and exit instead of starting the REPL."),
    ] = None,
    as_of: AsOf = None,
    llm: LlmOpt = None,
    llm_base_url: LlmBaseUrlOpt = None,
    llm_api_key: LlmApiKeyOpt = None,
    llm_timeout: LlmTimeoutOpt = None,
) -> None:
    """Talk to newsbot: a REPL with line editing, history and follow-up questions."""
    from bot import repl
    from bot.progress import Activity
    from bot.safe_text import terminal_text

    _use_llm(ctx, llm, llm_base_url, llm_api_key, llm_timeout)
    if question is not None:
        _check(ctx, question)
    state = _state(ctx)
    bot = state.newsbot()

    def ask_fn(q: str, history: Sequence[Turn], on_token: TokenFn | None = None) -> Answer:
        return bot.ask(q, history=history, as_of=_date(as_of), on_token=on_token)

    session = repl.ChatSession(
        ask_fn,
        typer.echo,  # what the session prints is escaped where it is made (bot/render.py)
        debug=state.debug,
        write=lambda text: typer.echo(terminal_text(text), nl=False),  # a model's stream
        strong=_emphasis(),
        timeline=lambda topic: bot.timeline(topic, as_of=_date(as_of)),
    )
    with Activity("loading the model and index"):
        bot.warm_up()
    if question is not None:
        session.handle(question)
        if session.failed:  # like `ask`: a script can tell an answer from an error
            raise typer.Exit(1)
        return
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    repl.run(session, repl.line_reader(state.settings.history_file, interactive))


def _emphasis() -> Callable[[str], str]:
    """Bold for the short answer on a terminal; plain text into a pipe or a file."""
    from bot.render import ansi_bold, plain

    return ansi_bold if sys.stdout.isatty() else plain


@app.command("eval")
@user_errors
def eval_(
    ctx: typer.Context,
    questions: Annotated[Path, typer.Argument(help="Questions file (JSONL; docs/evaluation.md).")],
    corpus: Annotated[Path, typer.Option(help="Folder of the articles the questions are about.")],
    out: Annotated[Path | None, typer.Option(help="Write predictions (JSONL) here.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    scores_json: Annotated[
        Path | None, typer.Option(help="Write the scores (all and per kind) here as JSON.")
    ] = None,
) -> None:
    """Answer a questions file over a corpus and print quality scores (per question kind
    too, when the questions file labels them)."""
    from bot import evaluate
    from bot.core import Newsbot
    from bot.embeddings import get_encoder
    from bot.ingest import ingest as run_ingest
    from bot.progress import Activity, IngestProgress, TaskProgress, summary

    state = _state(ctx)
    if not corpus.is_dir():
        raise typer.BadParameter(f"{corpus} is not a folder", param_hint="--corpus")
    settings = state.settings
    # By default each corpus gets its own cached index directory.
    cached = "index" not in state.overrides and settings.database_url is None
    if cached:
        index = evaluate.default_index(corpus, settings.encoder)
        settings = settings.model_copy(update={"index": index})
    encoder = get_encoder(settings.encoder, settings.device)
    store = evaluate.open_index(settings, encoder, disposable=cached)
    bot = Newsbot(settings, encoder=encoder, store=store)
    with IngestProgress() as indexing:
        report = run_ingest([str(corpus)], store, encoder, prune=True, progress=indexing)
    typer.echo(summary(report, store.info().location), err=True)
    items = evaluate.load_questions(questions)[:limit]
    with Activity("loading the model and index"):
        bot.warm_up()
    with TaskProgress("answering", "questions", total=len(items)) as answering:
        predictions = evaluate.run(
            lambda q: bot.ask(q.question, as_of=q.question_date), items, corpus, answering
        )
    if out:
        out.write_text(
            "".join(json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in predictions),
            encoding="utf-8",
        )
    reader = evaluate.corpus_reader(corpus)
    scores = evaluate.score(items, predictions, reader)
    by_kind = evaluate.score_by_kind(items, predictions, reader)
    if scores_json:
        scores_json.write_text(
            json.dumps(evaluate.scores_json(scores, by_kind), indent=2) + "\n", encoding="utf-8"
        )
    typer.echo(evaluate.table(scores, by_kind))


# --- the archive: list, stats, rm ---


def _open_store(state: State) -> Any:
    from bot.index import open_index

    return open_index(state.settings)


@app.command("list")
@user_errors
def list_articles(
    ctx: typer.Context,
    outlet: Annotated[
        str | None, typer.Option(help="Only this outlet (case-insensitive; credits count).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Published on or after: 2024, 2024-03, 'March 2024', 2024-03-14, 'last week'."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Published on or before, all of it (same forms).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List indexed articles, newest first: id, date, outlet, headline, file.

    Days are those of the newsroom's time zone (NEWSBOT_TIMEZONE), in filters and dates."""
    from bot.catalog import filter_articles, parse_period
    from bot.dates import local_day
    from bot.render import shown_path
    from bot.safe_text import json_dumps, terminal_line

    state = _state(ctx)
    tz = state.settings.tz
    everything = _open_store(state).listing()
    found = filter_articles(
        everything,
        outlet=outlet,
        since=parse_period(since, tz=tz),
        before=parse_period(until, end=True, tz=tz),
    )
    shown = found if limit <= 0 else found[:limit]
    copies = Counter(a.story_id for a in everything)
    for a in shown:
        if as_json:
            typer.echo(json_dumps(_listed_json(a, copies[a.story_id])))
            continue
        date = local_day(a.published, tz) if a.published else "undated   "
        n = copies[a.story_id]
        story = f"  [story {a.story_id}: {n} copies]" if n > 1 else ""
        outlet = terminal_line(a.attribution or "-")[:24]
        typer.echo(
            f"{a.id:>6}  {date}  {outlet:<24}  {terminal_line(a.headline)}{story}"
            f"  ({shown_path(a.source_path)})"
        )
    if not as_json:
        more = len(found) - len(shown)
        tail = f"; {more} more, use --limit 0 to see all" if more else ""
        typer.echo(f"{len(found)} articles{tail}")


def _listed_json(a: Any, copies: int) -> dict[str, Any]:
    from bot.dates import to_iso

    return {
        "id": a.id,
        "headline": a.headline,
        "outlet": a.outlet,
        "credits": list(a.credits),
        "byline": a.byline,
        "published": to_iso(a.published),
        "url": a.url,
        "story_id": a.story_id,
        "story_copies": copies,
        "source_path": a.source_path,
        "sources": a.sources,
        "chunks": a.chunks,
    }


@app.command()
@user_errors
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Articles, chunks, stories, by outlet and by month, and the index's size on disk."""
    from dataclasses import asdict

    from bot.catalog import index_stats
    from bot.safe_text import json_dumps, terminal_line

    state = _state(ctx)
    figures = index_stats(_open_store(state), state.settings.tz)
    if as_json:
        typer.echo(json_dumps(asdict(figures), indent=2))
        return
    typer.echo(f"Index: {figures.backend}, {figures.location}")
    typer.echo(
        f"{figures.articles} articles, {figures.chunks} chunks, {figures.sources} sources "
        f"({figures.files} files), {figures.disk_bytes / 1e6:.1f} MB on disk, "
        f"generation {figures.generation}"
    )
    typer.echo(
        f"{figures.exact_duplicates} stored once for several files; "
        f"{figures.copies_grouped} copies grouped into {figures.stories_with_copies} "
        + ("story" if figures.stories_with_copies == 1 else "stories")
    )
    typer.echo("\nBy outlet:")
    for name, n in figures.by_outlet:
        typer.echo(f"  {n:>7}  {terminal_line(name)}")
    typer.echo("\nBy month:")
    for month, n in figures.by_month:
        typer.echo(f"  {n:>7}  {month}")


@app.command()
@user_errors
def check(
    ctx: typer.Context,
    repair: Annotated[
        bool, typer.Option("--repair", help="Rebuild damaged vector and BM25 files from SQLite.")
    ] = False,
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds to wait if an ingest holds the index (default: don't)."),
    ] = None,
) -> None:
    """Check the index: SQLite's pages, and the vector and BM25 files against what was
    recorded when they were written. Exit code 1 when something is damaged."""
    from bot import index_health
    from bot.safe_text import terminal_text

    state = _state(ctx)
    health = index_health.check_index(_open_store(state))
    if repair and not health.ok and health.database_ok:
        timeout = state.settings.lock_timeout if wait is None else wait
        generation = index_health.repair(_open_store(state), timeout)
        typer.echo(
            f"Repaired: rebuilt the vector and BM25 files from SQLite (generation {generation})."
        )
        health = index_health.check_index(_open_store(state))
    elif repair and health.ok:
        typer.echo("Nothing to repair.")
    typer.echo(terminal_text(index_health.health_text(health)))
    if not health.ok:
        raise typer.Exit(1)


@app.command()
@user_errors
def rm(
    ctx: typer.Context,
    targets: Annotated[
        list[str], typer.Argument(help="Article ids (see newsbot list), files or feed URLs.")
    ],
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds to wait if an ingest holds the index (default: don't)."),
    ] = None,
) -> None:
    """Remove articles from the index by id, or everything that came from a file or URL."""
    from bot.catalog import remove
    from bot.safe_text import terminal_line

    state = _state(ctx)
    timeout = state.settings.lock_timeout if wait is None else wait
    result = remove(_open_store(state), targets, lock_timeout=timeout)
    for target, n in result.removed.items():
        shown = terminal_line(target)
        typer.echo(f"removed {shown}: {n} article{'s' if n != 1 else ''} left the index")
    for target in result.still_on_disk:
        typer.echo(
            f"note: {terminal_line(target)} is still on disk; ingesting its folder again adds "
            "it back",
            err=True,
        )
    for target in result.missing:
        typer.echo(f"not in the index: {terminal_line(target)}", err=True)
    if result.missing:
        raise typer.Exit(1)


@app.command()
@user_errors
def migrate(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="postgresql://...",
            help="Copy the index directory (--index) into this PostgreSQL database, "
            "vectors included (nothing is embedded again; running it again copies nothing).",
        ),
    ] = None,
) -> None:
    """Bring the PostgreSQL index's schema up to date, or copy an index directory into one.

    Without --to: apply the schema migrations the database (NEWSBOT_DATABASE_URL) lacks.
    Every newsbot process also applies them when it starts."""
    from bot.index.embedded import EmbeddedIndex
    from bot.index.postgres import PostgresIndex
    from bot.index.postgres_schema import Identity
    from bot.index.urls import DatabaseUrl

    settings = _state(ctx).settings
    if to is None:
        if settings.database_url is None:
            typer.echo(
                "The index is a directory (no NEWSBOT_DATABASE_URL): it has no migrations. "
                "To move it into PostgreSQL: newsbot migrate --to postgresql://..."
            )
            return
        from bot.index.postgres_schema import pending

        url = DatabaseUrl.parse(settings.database_url.get_secret_value())
        bot = _state(ctx).newsbot()
        index = PostgresIndex(
            url,
            schema=settings.database_schema,
            pool_size=1,
            connect_timeout=settings.database_timeout,
            identity=Identity(bot.encoder.fingerprint, bot.encoder.dim),
            create=True,
        )
        with index.write_connection() as conn:
            left = pending(conn, settings.database_schema)
        index.close()
        typer.echo(
            f"{url.safe}: schema {settings.database_schema!r} is up to date"
            + (f" (still pending: {', '.join(left)})" if left else "")
        )
        return
    from bot.index.copy import copy_index

    source = EmbeddedIndex.open(settings.index)
    url = DatabaseUrl.parse(to)
    target = PostgresIndex(
        url,
        schema=settings.database_schema,
        pool_size=1,
        connect_timeout=settings.database_timeout,
        identity=Identity(source.fingerprint, source.dim),
        create=True,
    )
    typer.echo(f"Copying {settings.index}/ into {url.safe} ...", err=True)

    def progress(done: int, total: int) -> None:
        typer.echo(f"  {done}/{total} articles", err=True)

    try:
        report = copy_index(source, target, progress)
    finally:
        target.close()
        source.close()
    checked = ", ".join(f"{name} {db}" for name, (_, db) in report.checked.items())
    typer.echo(
        f"{report.articles} articles copied ({report.chunks} chunks, {report.sentences} "
        f"sentences, {report.sources} sources), {report.skipped} already there; "
        f"checked: {checked} -> {url.safe}"
    )


# --- Slack front and its feedback (bot/slack.py, bot/feedback.py) ---


@app.command()
@user_errors
def slack(
    ctx: typer.Context,
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve the Events API over HTTP instead of Socket Mode."),
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --http.")] = 3000,
    host: Annotated[str, typer.Option(help="Address for --http.")] = "0.0.0.0",
) -> None:
    """Run the Slack bot: Socket Mode by default, an Events API HTTP server with --http."""
    from bot import slack as front
    from bot.progress import Activity

    state = _state(ctx)
    settings = state.settings
    front.check_settings(settings, http=http)
    if not state.debug:
        # Their INFO/DEBUG logs copy request bodies (user text, response URLs); keep them quiet.
        for name in ("slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(logging.WARNING)
    bot = state.newsbot()
    with Activity("loading the model and index"):
        bot.warm_up()
    front.run(
        settings,
        lambda question, history: bot.ask(question, history=history),
        timeline_fn=lambda topic: bot.timeline(topic),
        http=http,
        host=host,
        port=port,
        announce=lambda line: typer.echo(line, err=True),
        feedback_records=bot.store.feedback(),
    )


feedback_app = typer.Typer(
    help="Votes (👍/👎) on Slack answers: list them, or export them as CSV or JSON.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(feedback_app, name="feedback")


def _feedback_rows(ctx: typer.Context, limit: int | None) -> list[Any]:
    from bot.feedback import FeedbackStore

    settings = _state(ctx).settings
    if settings.database_url is not None:
        index = _open_store(_state(ctx))
        try:
            with index.feedback() as records:
                return list(records.feedback(limit))
        finally:
            index.close()
    if not settings.feedback_path.exists():
        return []
    with FeedbackStore(settings.feedback_path) as store:
        return store.feedback(limit)


@feedback_app.callback()
@user_errors
def feedback_default(ctx: typer.Context) -> None:
    """Without a subcommand: list the latest votes."""
    if ctx.invoked_subcommand is None:
        from bot.feedback import feedback_table
        from bot.safe_text import terminal_text

        typer.echo(terminal_text(feedback_table(_feedback_rows(ctx, 20))))


@feedback_app.command("list")
@user_errors
def feedback_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many votes, newest first.")] = 20,
) -> None:
    """List the latest votes: time, vote, user, channel, question."""
    from bot.feedback import feedback_table
    from bot.safe_text import terminal_text

    typer.echo(terminal_text(feedback_table(_feedback_rows(ctx, limit))))


@feedback_app.command("export")
@user_errors
def feedback_export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option(help="csv or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export every vote with its question, answer and citations."""
    from bot.errors import ConfigError
    from bot.feedback import feedback_csv, feedback_json

    if format not in {"csv", "json"}:
        raise ConfigError(f"--format must be csv or json, not {format!r}")
    rows = _feedback_rows(ctx, None)
    if format == "csv":
        text = feedback_csv(rows)
    else:
        text = json.dumps(feedback_json(rows), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="")
    partial.replace(output)  # atomic: a reader never sees half an export
    typer.echo(f"{len(rows)} votes -> {output}", err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
