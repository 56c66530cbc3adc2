"""Build the quality-floor fixture (tests/data/quality/news/) from the dated news set.

The quality floor (tests/integration/test_quality_floor.py) runs `newsbot eval` on a fixed
subset of shared/eval/news: 60 questions of every kind, the articles that answer them, the
same-topic articles from other dates the set lists for each (the look-alikes a time
question must not take), and a few hundred other articles as distractors. The choice is
deterministic (articles and questions ordered by a hash of their names, a fixed number of
each kind), so rebuilding gives the same files; it is committed so CI needs nothing
outside the repository.

    .venv/bin/python -m tests.quality_fixture [--source ../shared/eval/news]

After a rebuild, measure again and set the floors in the test (see docs/testing.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "tests" / "data" / "quality" / "news"
# ../shared/eval/news beside the checkout, or beside the folder of worktrees
DEFAULT_SOURCE = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "eval"
    / "news"
)

# Questions of each kind (the set has 76 time, 50 who/which/where, 40 number/date,
# 21 paraphrase and 19 unanswerable); unanswerable ones are over-represented so the
# declined share moves by less than a few points per question.
QUOTA = {
    "time": 20,
    "who/which/where": 14,
    "how many/how much/when": 12,
    "paraphrase": 6,
    "null": 8,
}
EXTRA_DISTRACTORS = 200
# Distractors are taken among the shorter articles, so the fixture indexes in a few
# minutes on two cores (the same-topic look-alikes are kept whatever their length).
DISTRACTOR_MAX_BYTES = 3000
SALT = "newsbot-quality-floor-v1"


def _order(name: str) -> str:
    return hashlib.sha256(f"{SALT}:{name}".encode()).hexdigest()


def choose(questions: list[dict]) -> list[dict]:
    chosen = []
    for kind, n in QUOTA.items():
        of_kind = sorted((q for q in questions if q["kind"] == kind), key=lambda q: _order(q["id"]))
        if len(of_kind) < n:
            raise SystemExit(f"only {len(of_kind)} questions of kind {kind!r}, {n} wanted")
        chosen += of_kind[:n]
    return sorted(chosen, key=lambda q: q["id"])


def articles_for(chosen: list[dict], corpus: Path) -> list[str]:
    needed = {e["article_file"] for q in chosen for e in q.get("evidence") or ()}
    needed |= {f for q in chosen for f in q.get("distractor_files") or ()}
    others = sorted((p.name for p in corpus.glob("*.txt") if p.name not in needed), key=_order)
    return sorted(needed | set(others[:EXTRA_DISTRACTORS]))


def licence(readme: str) -> str:
    match = re.search(r"^## Licence\n.*", readme, re.S | re.M)
    if not match:
        raise SystemExit("the source README has no Licence section to copy")
    return match.group(0)


def build(source: Path, dest: Path = DEST) -> tuple[int, int]:
    questions = [
        json.loads(line)
        for line in (source / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    chosen = choose(questions)
    files = articles_for(chosen, source / "corpus")
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "corpus").mkdir(parents=True)
    for name in files:
        shutil.copyfile(source / "corpus" / name, dest / "corpus" / name)
    (dest / "questions.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in chosen), encoding="utf-8"
    )
    kinds = ", ".join(f"{n} {k}" for k, n in QUOTA.items())
    (dest / "README.md").write_text(
        "# A fixed subset of the dated news set, for the quality floor\n\n"
        "Built by `tests/quality_fixture.py` from `shared/eval/news` (do not edit by hand): "
        f"{len(chosen)} questions ({kinds}), the articles that answer them, the same-topic "
        f"articles from other dates listed for each, and {EXTRA_DISTRACTORS} other articles "
        f"of at most {DISTRACTOR_MAX_BYTES} bytes chosen by a hash of their names: "
        f"{len(files)} articles in all.\n\n"
        + licence((source / "README.md").read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    return len(chosen), len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    n_questions, n_articles = build(args.source)
    print(f"{n_questions} questions, {n_articles} articles -> {DEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
