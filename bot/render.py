"""Answer -> terminal text and JSON. Pure functions: no I/O, easy to test.

Everything that came from an article or a file name is printed through bot/safe_text.py:
control characters and escape sequences are shown escaped, and a line break inside a
one-line field (a headline, a file name) shows as `\\n` instead of breaking the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.dates import display_day, from_iso, to_iso
from bot.instructions import quoted
from bot.records import (
    Answer,
    Citation,
    Coverage,
    Figure,
    FigureChange,
    RetrievedArticle,
    ShortAnswer,
    SourceFields,
    Timeline,
    Verification,
)
from bot.safe_text import terminal_line, terminal_text

JSON_SCHEMA_VERSION = 1
MAX_OUTLET_CHARS = 40  # a credits line longer than this shows its first names
NEWER_LINES = 2  # newer coverage named under an answer's sources: short enough to read out

Emphasis = Callable[[str], str]


def plain(text: str) -> str:
    return text


def ansi_bold(text: str) -> str:
    """Bold on a terminal (SGR 1, then 22: normal intensity, other attributes untouched)."""
    return f"\x1b[1m{text}\x1b[22m"


def short_answer_at(answer: Answer) -> tuple[int, int] | None:
    """Where the short answer stands in `answer.text`, if it is there verbatim."""
    sa = answer.short_answer
    if sa is None:
        return None
    for c in answer.citations:
        if c.marker != sa.marker or not (c.start <= sa.start and sa.end <= c.end):
            continue
        # The quote as shown: its own bracketed numbers taken out (bot/instructions.py).
        at = answer.text.find(f"{quoted(c.quote)} [{c.marker}]")
        if at < 0:
            return None
        start = at + len(quoted(c.quote[: sa.start - c.start]))
        if answer.text[start : start + len(sa.text)] == sa.text:
            return start, start + len(sa.text)
    return None


def emphasised(answer: Answer, strong: Emphasis = plain) -> str:
    """The answer text, safe for a terminal, with its short answer passed through `strong`
    (bold): escaped first, so the only escape codes are the ones `strong` adds."""
    text = answer.text
    at = short_answer_at(answer)
    if at is None:
        return terminal_text(text)
    start, end = at
    middle = strong(terminal_text(text[start:end]))
    return terminal_text(text[:start]) + middle + terminal_text(text[end:])


def display_path(path: str) -> str:
    """A source path relative to the working directory when it lies inside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return path
    return path


Dated = Citation | RetrievedArticle | Coverage | Figure


def outlet(attribution: str | None) -> str | None:
    """The attribution as shown next to a marker: a long credits line ("AP, The
    Independent, Radio Free Europe/Radio Liberty, …") keeps its first names, so the date
    stays near the marker (`/sources` has it in full)."""
    if attribution is None or len(attribution) <= MAX_OUTLET_CHARS:
        return attribution
    names = [n.strip() for n in attribution.split(",")]
    kept: list[str] = []
    for name in names:
        if kept and len(", ".join([*kept, name])) > MAX_OUTLET_CHARS:
            break
        kept.append(name)
    return ", ".join(kept) + ", …" if len(kept) < len(names) else attribution


def byline(item: Dated) -> str:
    """'AP · 8 Feb 2018': the outlet (when known) and the day it was published, or
    'undated', so every piece of evidence says when it was published."""
    day = display_day(item.published) if item.published else "undated"
    return " · ".join(x for x in (outlet(item.attribution), day) if x)


def source_line(c: Citation) -> str:
    """'[1] AP · 8 Feb 2018 — Headline': outlet and date next to the marker."""
    return f"[{c.marker}] {terminal_line(byline(c))} — {terminal_line(c.headline)}"


def full_source(c: Citation) -> str:
    lines = [source_line(c)]
    if c.attribution and outlet(c.attribution) != c.attribution:
        lines.append(f"    credits: {terminal_line(c.attribution)}")
    if c.also_ran_in:
        lines.append(f"    also ran in: {terminal_line(', '.join(c.also_ran_in))}")
    if c.url:
        lines.append(f"    {terminal_line(c.url)}")
    lines.append(f"    {shown_path(c.source_path)} (characters {c.start}–{c.end})")
    lines.append(f"    > {terminal_line(quoted(c.quote))}")
    return "\n".join(lines)


def shown_path(path: str) -> str:
    """A source path as a terminal shows it: relative where it can be, on one line."""
    return terminal_line(display_path(path))


def listed(item: RetrievedArticle | Coverage) -> str:
    """'Headline — AP, 8 Feb 2018': an article named but not quoted."""
    return terminal_line(f"{item.headline} — {listed_meta(item)}")


def listed_meta(item: RetrievedArticle | Coverage) -> str:
    day = display_day(item.published) if item.published else "undated"
    return ", ".join(x for x in (outlet(item.attribution), day) if x)


def closest_articles(answer: Answer, limit: int = 3) -> str:
    lines = ["Closest articles:"]
    for r in answer.retrieved[:limit]:
        lines.append(
            f"  {r.rank}. {terminal_line(byline(r))} — {terminal_line(r.headline)}"
            f" ({shown_path(r.source_path)})"
        )
    return "\n".join(lines) if len(lines) > 1 else "The index has no articles yet."


# -- beyond the quote: newer coverage, changed figures, related coverage ---------------


def newer_coverage(answer: Answer) -> list[tuple[int, Coverage]]:
    """(marker, article) of the newer coverage of the answer's citations, each once."""
    seen: set[int] = set()
    out = []
    for c in answer.citations:
        for n in c.newer_coverage:
            if n.article_id not in seen:
                seen.add(n.article_id)
                out.append((c.marker, n))
    return out


def newer_coverage_shown(answer: Answer) -> list[tuple[int, Coverage]]:
    """The newer coverage named under the sources: at most NEWER_LINES, the first
    source's first (the REPL's /sources and --json have all of it)."""
    return newer_coverage(answer)[:NEWER_LINES]


def newer_coverage_lines(answer: Answer) -> list[str]:
    """'Newer coverage: Headline — Reuters, 9 Feb 2018' (with the marker it is newer than
    when the answer has several sources)."""
    several = len(answer.citations) > 1
    return [
        f"Newer coverage{f' than [{m}]' if several else ''}: {listed(n)}"
        for m, n in newer_coverage_shown(answer)
    ]


def newer_detail(marker: int, n: Coverage) -> str:
    kind = "the same wire story" if n.same_story else "a close match"
    lines = [f"  newer than [{marker}], {kind}: {byline(n)} — {n.headline}"]
    lines.append(f"    {display_path(n.source_path)}" + (f"  {n.url}" if n.url else ""))
    return "\n".join(lines)


def related_coverage(answer: Answer, limit: int = 3) -> list[RetrievedArticle]:
    """Retrieved articles on the answer's topic (`Answer.related`) that it doesn't cite or
    name as newer coverage, best first."""
    shown = {c.article_id for c in answer.citations}
    shown |= {n.article_id for _, n in newer_coverage_shown(answer)}
    related = None if answer.related is None else set(answer.related)
    return [
        r
        for r in answer.retrieved
        if r.article_id not in shown and (related is None or r.article_id in related)
    ][:limit]


def _short_day(f: Figure, other: Figure) -> str:
    """'8 Feb', with the year when the two figures' years differ (or one is undated)."""
    if f.published is None:
        return "undated"
    with_year = other.published is None or other.published.year != f.published.year
    return display_day(f.published, year=with_year)


def figure_source(f: Figure, other: Figure) -> str:
    return ", ".join(x for x in (outlet(f.attribution) or f.headline, _short_day(f, other)) if x)


def figures_line(change: FigureChange) -> str:
    """'Figures differ: over 100 killed (AP, 8 Feb) → 150 killed (Reuters, 9 Feb)'; the
    arrow points to the newer figure, "vs" joins two of the same time."""
    a, b = change.cited, change.other
    newer = a.published is not None and b.published is not None and b.published > a.published
    joint = " → " if newer else " vs "
    return (
        f"Figures differ: {a.text} ({figure_source(a, b)}){joint}{b.text} ({figure_source(b, a)})"
    )


def figures_detail(change: FigureChange) -> str:
    """Both figures with their sentences and where they stand (the REPL's /sources)."""
    lines = [figures_line(change)]
    for label, f in ((f"[{change.marker}]", change.cited), ("other", change.other)):
        lines.append(f"    {label} {byline(f)} — {f.headline}")
        lines.append(f"        {display_path(f.source_path)} (characters {f.start}–{f.end})")
        lines.append(f"        > {f.quote}")
    return "\n".join(lines)


def to_text(
    answer: Answer, *, full_sources: bool = True, with_text: bool = True, strong: Emphasis = plain
) -> str:
    """What `newsbot ask` prints (and the REPL, with short sources).

    `with_text=False` leaves out the answer itself: the REPL has already streamed it.
    `strong` marks the short answer (bold on a terminal).
    """
    parts = [emphasised(answer, strong)] if with_text else []
    if answer.figures_differ is not None and not answer.declined:
        parts.append(terminal_text(figures_line(answer.figures_differ)))
    parts += [terminal_text(note) for note in answer.notes]
    # A filter that matched nothing already says so in the notes; "no articles yet"
    # would then be false.
    if answer.declined and (answer.retrieved or not answer.notes):
        parts.append(closest_articles(answer))
    elif answer.citations:
        render = full_source if full_sources else source_line
        lines = [render(c) for c in answer.citations]
        lines += [terminal_line(line) for line in newer_coverage_lines(answer)]
        parts.append("Sources:\n" + "\n".join(lines))
        related = related_coverage(answer)
        if related:
            parts.append("Related coverage:\n" + "\n".join(f"  {listed(r)}" for r in related))
    # Every part is escaped where it was made (sources through terminal_line).
    return "\n\n".join(parts)


def sources_text(answer: Answer) -> str:
    """The REPL's /sources: every citation in full (with its newer coverage), the figures
    that differ with both sentences, then everything retrieved."""
    parts = []
    if answer.citations:
        parts.append("\n".join(full_source(c) for c in answer.citations))
    newer = newer_coverage(answer)
    if newer:
        parts.append("\n".join(["Newer coverage:", *(newer_detail(m, n) for m, n in newer)]))
    if answer.figures_differ is not None:
        parts.append(figures_detail(answer.figures_differ))
    if answer.retrieved:
        parts.append(
            closest_articles(answer, limit=len(answer.retrieved)).replace(
                "Closest articles", "Retrieved"
            )
        )
    return terminal_text("\n\n".join(parts)) or "No sources."


# -- the story so far (`newsbot timeline`) ---------------------------------------------


def entry_line(c: Citation) -> str:
    """'1 Feb 2018 · Valley Herald: <the sentence, verbatim> [1]'."""
    day = display_day(c.published) if c.published else "undated"
    who = f" · {c.attribution}" if c.attribution else ""
    return terminal_line(f"{day}{who}: {quoted(c.quote)}") + f" [{c.marker}]"


def heading(timeline: Timeline) -> str:
    """'The story so far: TOPIC (5 entries, oldest first)', or that there is none."""
    shown, found = len(timeline.entries), timeline.found
    topic = timeline.search_query or timeline.topic  # filters and time phrases are notes
    if not shown:
        return f"No dated article in the index is about {topic}."
    count = f"{shown} of {found} entries" if shown < found else _plural(shown, "entry", "entries")
    return f"The story so far: {topic} ({count}, oldest first)"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def timeline_text(timeline: Timeline, *, full_sources: bool = True) -> str:
    """What `newsbot timeline` prints (and the REPL's /timeline, with short sources)."""
    citations = [e.citation for e in timeline.entries]
    parts = [terminal_line(heading(timeline))]
    if citations:
        parts.append("\n".join(entry_line(c) for c in citations))
    parts += [terminal_text(note) for note in timeline.notes]
    if len(citations) < timeline.found:
        parts.append(
            f"{timeline.found - len(citations)} more between the first and the latest not "
            "shown (newsbot timeline --limit 0 shows all)."
        )
    if citations:
        render = full_source if full_sources else source_line
        parts.append("Sources:\n" + "\n".join(render(c) for c in citations))
    return "\n\n".join(parts)


def timeline_sources(timeline: Timeline) -> str:
    """The REPL's /sources after a timeline: every entry's source in full."""
    citations = [e.citation for e in timeline.entries]
    return "\n".join(full_source(c) for c in citations) or "No sources."


def timeline_json(timeline: Timeline) -> dict[str, Any]:
    """The `newsbot timeline --json` object (documented in docs/news-context.md)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "topic": timeline.topic,
        "search_query": timeline.search_query,
        "found": timeline.found,
        "undated": timeline.undated,
        "notes": list(timeline.notes),
        "entries": [{**_citation_json(e.citation), "score": e.score} for e in timeline.entries],
        "timings": dict(timeline.timings),
    }


def _source_json(x: Dated) -> dict[str, Any]:
    """The fields that name an article, as every JSON object citing one carries them."""
    return {
        "article_id": x.article_id,
        "headline": x.headline,
        "attribution": x.attribution,
        "source_path": x.source_path,
        "url": x.url,
        "published": to_iso(x.published),
    }


def _source_from(d: dict[str, Any]) -> SourceFields:
    return SourceFields(
        article_id=d["article_id"], headline=d["headline"], attribution=d["attribution"],
        published=from_iso(d["published"]), url=d["url"], source_path=d["source_path"],
    )  # fmt: skip


def _citation_json(c: Citation) -> dict[str, Any]:
    return {
        "marker": c.marker,
        **_source_json(c),
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
        "also_ran_in": list(c.also_ran_in),
        "newer_coverage": [_coverage_json(n) for n in c.newer_coverage],
    }


def _coverage_json(n: Coverage) -> dict[str, Any]:
    return {**_source_json(n), "same_story": n.same_story}


def _figure_json(f: Figure) -> dict[str, Any]:
    return {
        "text": f.text,
        "value": f.value,
        **_source_json(f),
        "quote": f.quote,
        "start": f.start,
        "end": f.end,
    }


def _figures_json(change: FigureChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "thing": change.thing,
        "marker": change.marker,
        "cited": _figure_json(change.cited),
        "other": _figure_json(change.other),
        "line": figures_line(change),
    }


def _retrieved_json(r: RetrievedArticle) -> dict[str, Any]:
    return {
        "rank": r.rank,
        **_source_json(r),
        "score": r.score,
    }


def _verification_json(v: Verification | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "changed": v.changed,
        "outcome": v.outcome,
        "removed": list(v.removed),
        "model_answer": v.model_answer,
    }


def to_json(answer: Answer) -> dict[str, Any]:
    """The stable `--json` object (documented in docs/asking.md; bump the version on change)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "question": answer.question,
        "answer": answer.text,
        "declined": answer.declined,
        "answered_by": answer.answered_by,
        "search_query": answer.search_query,
        "notes": list(answer.notes),
        "citations": [_citation_json(c) for c in answer.citations],
        "retrieved": [_retrieved_json(r) for r in answer.retrieved],
        "timings": dict(answer.timings),
        "model": answer.model,
        "verification": _verification_json(answer.verification),
        "figures_differ": _figures_json(answer.figures_differ),
        "related_coverage": None if answer.related is None else list(answer.related),
        **({"short_answer": _short_json(answer.short_answer)} if answer.short_answer else {}),
    }


def _short_json(sa: ShortAnswer) -> dict[str, Any]:
    return {"text": sa.text, "marker": sa.marker, "start": sa.start, "end": sa.end}


def from_json(data: dict[str, Any]) -> Answer:
    """The inverse of `to_json` (schema_version 1): an Answer stored as JSON, read back."""
    v = data.get("verification")
    return Answer(
        question=data["question"],
        text=data["answer"],
        declined=data["declined"],
        citations=[
            Citation(
                marker=c["marker"],
                **_source_from(c),
                quote=c["quote"],
                start=c["start"],
                end=c["end"],
                also_ran_in=tuple(c.get("also_ran_in", ())),
                newer_coverage=tuple(_coverage_from(n) for n in c.get("newer_coverage", ())),
            )
            for c in data["citations"]
        ],
        retrieved=[
            RetrievedArticle(rank=r["rank"], **_source_from(r), score=r["score"])
            for r in data["retrieved"]
        ],
        timings=data.get("timings", {}),
        notes=list(data.get("notes", [])),
        search_query=data.get("search_query", ""),
        answered_by=data.get("answered_by", "extractive"),
        model=data.get("model"),
        verification=Verification(v["outcome"], v["model_answer"], tuple(v["removed"]))
        if v
        else None,
        short_answer=ShortAnswer(**data["short_answer"]) if data.get("short_answer") else None,
        figures_differ=_figures_from(data.get("figures_differ")),
        related=None if data.get("related_coverage") is None else tuple(data["related_coverage"]),
    )


def _coverage_from(n: dict[str, Any]) -> Coverage:
    return Coverage(**_source_from(n), same_story=n["same_story"])


def _figure_from(f: dict[str, Any]) -> Figure:
    return Figure(**{**f, "published": from_iso(f["published"])})


def _figures_from(data: dict[str, Any] | None) -> FigureChange | None:
    if not data:
        return None
    return FigureChange(
        thing=data["thing"],
        cited=_figure_from(data["cited"]),
        marker=data["marker"],
        other=_figure_from(data["other"]),
    )
