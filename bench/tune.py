"""Choose the extractive answerer's weights and decline threshold on a dev set.

    python bench/tune_features.py ../shared/eval/dev --out bench/out/features.json
    python bench/tune.py bench/out/features.json

Prints (1) sentence-selection accuracy for a grid of weights, and (2) for the chosen
weights, what each decline threshold and keep ratio trades: accuracy, answerable
questions wrongly declined, unanswerable questions rightly declined, answer length and
citation precision. The values in bot/answer.py were read off these tables.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def overlap(row: Row, cand: Row) -> float:
    total = sum(row["idf"].values()) or 1.0
    return sum(row["idf"][t] for t in cand["matched"]) / total


def rank_all(rows: list[Row], w_sim: float, w_ov: float, w_rank: float) -> None:
    for row in rows:
        for c in row["candidates"]:
            c["s"] = w_sim * c["sim"] + w_ov * overlap(row, c) + w_rank / (1 + c["rank"])
        row["ranked"] = sorted(row["candidates"], key=lambda c: -c["s"])


def top1_accuracy(rows: list[Row]) -> float:
    answerable = [r for r in rows if r["answerable"] and r["ranked"]]
    return sum(r["ranked"][0]["correct"] for r in answerable) / len(answerable)


def simulate(
    rows: list[Row], threshold: float, keep: float, max_words: int = 60
) -> dict[str, float]:
    correct = declined_answerable = declined_unanswerable = 0
    words: list[int] = []
    cites: list[bool] = []
    for row in rows:
        ranked = row["ranked"]
        if not ranked or ranked[0]["s"] < threshold:
            correct += not row["answerable"]
            declined_answerable += row["answerable"]
            declined_unanswerable += not row["answerable"]
            continue
        chosen, n = [ranked[0]], ranked[0]["words"]
        for c in ranked[1:]:
            if len(chosen) >= 3 or c["s"] < keep * ranked[0]["s"]:
                break
            if n + c["words"] <= max_words:
                chosen.append(c)
                n += c["words"]
        words.append(n)
        if row["answerable"]:
            correct += any(c["correct"] for c in chosen)
            cites += [a in row["gold"] for a in {c["article"] for c in chosen}]
    answerable = sum(r["answerable"] for r in rows)
    return {
        "accuracy": correct / len(rows),
        "answerable declined": declined_answerable / answerable,
        "unanswerable declined": declined_unanswerable / (len(rows) - answerable),
        "mean words": sum(words) / max(len(words), 1),
        "citation precision": sum(cites) / max(len(cites), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--weights", default="0.6,0.5,0.02", help="similarity,overlap,rank")
    args = parser.parse_args()
    rows = json.loads(args.features.read_text(encoding="utf-8"))

    print("Top-sentence accuracy on answerable questions (similarity, overlap, rank weights):")
    grid = []
    for w in itertools.product([0.4, 0.5, 0.6, 0.7], [0.3, 0.4, 0.5, 0.6], [0.0, 0.02, 0.05, 0.1]):
        rank_all(rows, *w)
        grid.append((top1_accuracy(rows), w))
    for acc, w in sorted(grid, reverse=True)[:8]:
        print(f"  {acc:.3f}  {w}")

    chosen = tuple(float(x) for x in args.weights.split(","))
    rank_all(rows, *chosen)  # type: ignore[arg-type]
    print(f"\nWith weights {chosen}: decline threshold x keep ratio")
    header = [
        "threshold",
        "keep",
        "accuracy",
        "answerable declined",
        "unanswerable declined",
        "mean words",
        "citation precision",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for threshold, keep in itertools.product(
        [0.40, 0.44, 0.48, 0.50, 0.52, 0.54, 0.56], [0.85, 0.9, 1.0]
    ):
        r = simulate(rows, threshold, keep)
        print(
            f"| {threshold:.2f} | {keep:.2f} | "
            + " | ".join(f"{v:.3f}" if k != "mean words" else f"{v:.1f}" for k, v in r.items())
            + " |"
        )


if __name__ == "__main__":
    main()
