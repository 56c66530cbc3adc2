"""Choose the ranking weights and the decline threshold on a dated evaluation set.

    python bench/tune_news.py dump ../shared/eval/news --out bench/out/news.json
    python bench/tune_news.py dump ../shared/eval/dev --out bench/out/dev.json
    python bench/tune_news.py grid bench/out/news.json bench/out/dev.json

`dump` runs the real retrieval for every question (as-of day from the file, time prior,
sentence features from bot/ranking.py) and writes each candidate sentence's features and
whether it holds a right answer. `grid` replays ranking and declining on the dumps, so a
weight or threshold is tried in seconds without the model: it prints the top sentence's
accuracy per question kind for the weights in bot/ranking.py and a few variations, then
what each decline threshold trades on every set (answerable answered right, answerable
declined, unanswerable declined). The values in bot/ranking.py and bot/answer.py were read
off these tables; the docs' Evaluation page shows an excerpt.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from bot import ranking
from bot.answer import MIN_SCORE

Row = dict[str, Any]


def dump(evalset: Path, out: Path, index: Path | None) -> None:
    """Write every question's candidate sentences with their features to `out`."""
    from bot.config import Settings
    from bot.core import Newsbot, standalone_query
    from bot.evaluate import default_index, load_questions, normalize
    from bot.index.embedded import EmbeddedIndex
    from bot.ingest import ingest
    from bot.retrieval import Retriever

    corpus = evalset / "corpus"
    settings = Settings(index=index or default_index(corpus))
    bot = Newsbot(settings)
    store = EmbeddedIndex.open(
        settings.index, fingerprint=bot.encoder.fingerprint, dim=bot.encoder.dim, create=True
    )
    ingest([str(corpus)], store, bot.encoder)
    retriever = Retriever(store, bot.encoder)
    rows = []
    for q in load_questions(evalset / "questions.jsonl"):
        r = retriever.search(standalone_query(q.question, [], q.question_date), k_articles=10)
        cands = []
        for c in r.candidates:
            text = c.passage.article.body[c.sentence.start : c.sentence.end]
            cands.append(
                {
                    "similarity": c.similarity,
                    "overlap": c.overlap,
                    "context": c.context,
                    "typed": c.typed,
                    "passage_score": c.passage_score,
                    "names": c.names,
                    "prior": c.prior,
                    "article": Path(c.passage.article.source_path).name,
                    "correct": any(normalize(a) in normalize(text) for a in q.answers),
                }
            )
        focus = r.fit.focus.value if r.fit is not None else "plain"
        rows.append(
            {"id": q.id, "kind": q.kind, "answerable": q.answerable, "focus": focus, "cands": cands}
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} questions -> {out}")


def rank_score(c: Row, w: dict[str, float]) -> float:
    """bot.ranking.quality + time_term, with the weights in `w`."""
    evidence = (
        w["W_SIMILARITY"] * c["similarity"]
        + w["W_OVERLAP"] * c["overlap"]
        + w["W_CONTEXT"] * c["context"]
        + w["W_TYPE"] * float(c["typed"])
        + w["W_PASSAGE"] * c["passage_score"]
        + w["W_NAMES"] * c["names"]
    )
    return evidence + w["W_TIME"] * math.log(max(c["prior"], 1e-6))


def decision(row: Row, c: Row, w: dict[str, float]) -> float:
    """bot.ranking.decision_score, with the weights in `w`."""
    d = (
        w["D_SIMILARITY"] * c["similarity"]
        + w["D_OVERLAP"] * c["overlap"]
        + w["D_CONTEXT"] * c["context"]
        + w["D_NAMES"] * c["names"]
    )
    if row["focus"] == "period":
        d += w["W_TIME"] * math.log(max(c["prior"], 1e-6))
    return d


def best(row: Row, w: dict[str, float]) -> Row | None:
    return max(row["cands"], key=lambda c: rank_score(c, w), default=None)


def top1_by_kind(rows: list[Row], w: dict[str, float]) -> dict[str, float]:
    kinds: dict[str, list[bool]] = {}
    for row in rows:
        if row["answerable"]:
            top = best(row, w)
            hit = bool(top and top["correct"])
            if row["kind"]:
                kinds.setdefault(row["kind"], []).append(hit)
            kinds.setdefault("all answerable", []).append(hit)
    return {k: sum(v) / len(v) for k, v in kinds.items()}


def declines(rows: list[Row], w: dict[str, float], threshold: float) -> tuple[float, ...]:
    """(answerable answered right, answerable declined, unanswerable declined)."""
    right = declined_a = declined_u = answerable = 0
    for row in rows:
        top = best(row, w)
        declined = top is None or decision(row, top, w) < threshold
        if row["answerable"]:
            answerable += 1
            declined_a += declined
            right += bool(not declined and top and top["correct"])
        else:
            declined_u += declined
    unanswerable = len(rows) - answerable
    return (
        right / max(answerable, 1),
        declined_a / max(answerable, 1),
        declined_u / max(unanswerable, 1),
    )


def current_weights() -> dict[str, float]:
    names = [n for n in vars(ranking) if n.startswith(("W_", "D_"))]
    return {n: float(getattr(ranking, n)) for n in names}


def grid(files: list[Path], thresholds: list[float]) -> None:
    sets = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in files}
    base = current_weights()
    variations = [{}] + [
        {name: base[name] * factor}
        for name in ("W_SIMILARITY", "W_OVERLAP", "W_TYPE", "W_NAMES", "W_TIME")
        for factor in (0.5, 1.5)
    ]
    print("Top sentence right, answerable questions (weights of bot/ranking.py, then one changed):")
    for change in variations:
        w = base | change
        label = ", ".join(f"{k}={v:g}" for k, v in change.items()) or "as shipped"
        for name, rows in sets.items():
            kinds = " ".join(f"{k} {v:.3f}" for k, v in top1_by_kind(rows, w).items())
            print(f"  {label:<22} {name}: {kinds}")
    print(f"\nDecline threshold (bot/answer.py MIN_SCORE, shipped {MIN_SCORE:.2f}):")
    header = ["threshold"] + [
        f"{n} {col}" for n in sets for col in ("right", "ans. declined", "unans. declined")
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for t in thresholds:
        cells = [f"{v:.3f}" for rows in sets.values() for v in declines(rows, base, t)]
        mark = "**" if abs(t - MIN_SCORE) < 1e-9 else ""
        print(f"| {mark}{t:.2f}{mark} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="features of every candidate sentence, per question")
    d.add_argument("evalset", type=Path, help="folder with corpus/ and questions.jsonl")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--index", type=Path, help="index folder (default: the eval cache)")
    g = sub.add_parser("grid", help="replay ranking and declining on dumps")
    g.add_argument("dumps", type=Path, nargs="+")
    g.add_argument(
        "--thresholds", default="0.60,0.64,0.68,0.70,0.72,0.74,0.76,0.78,0.80,0.84",
        help="comma-separated decline thresholds to try",
    )  # fmt: skip
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.evalset, args.out, args.index)
    else:
        grid(args.dumps, [float(x) for x in args.thresholds.split(",")])


if __name__ == "__main__":
    main()
