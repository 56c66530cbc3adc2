"""Show that the tests catch a worse bot, not only a broken one.

Each mutant is one deliberate change to newsbot's code (a December period ending in the
wrong year, the Slack dedupe key dropped, rows committed before the index files, pacing
removed, ...). For each, this script copies the project to a temporary folder, applies the
change there (your checkout is never touched), runs the tests that guard that mechanism, and
reports whether they failed, as they must. The same tests are first run on the unchanged
copy, where they must pass.

    .venv/bin/python -m tests.mutants                 # every mutant
    .venv/bin/python -m tests.mutants dedupe-message-key no-pacing
    .venv/bin/python -m tests.mutants --list
    .venv/bin/python -m tests.mutants commit-before-files --tests tests/test_ingest_store.py

Exit status 0 when the unchanged copy passed and every mutant was caught.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIME = "tests/test_time_edges.py"
TUNED = "tests/test_tuned_constants.py"
BORDER = "tests/integration/test_borderline.py"
FLOOR = "tests/integration/test_quality_floor.py"
ENCODING = "tests/test_encoding_errors.py"
SLACK = "tests/slack/test_slack_http.py"
LLM = "tests/test_llm.py"
# The two lines of the embedded writer that commit a generation, moved by the commit-order
# mutants.
COMMIT_ROWS = (
    "        self.conn.execute(\"UPDATE meta SET value=? WHERE key='generation'\", "
    "(str(generation),))\n"
    '        self.conn.execute("COMMIT")  # the moment the new generation exists\n'
)
# What the writer does before that commit: the vector file, then the lexical folder
# (built, saved, recorded with the vector file's checks).
LEXICAL_BUILT = "        lexical = derived.build_lexical(self.conn)\n"
SAVE_LEXICAL = (
    "        lexical.save(self._new_lexical)\n"
    "        index_health.record_derived(\n"
    "            self.conn, generation, self._new_file, self.index, self._new_lexical, lexical.n\n"
    "        )\n"
)
WRITE_FILES = (
    "        self._new_file = self.store.vector_path(generation)\n"
    "        vectors.save(self.index, self._new_file)\n"
    "        self._new_lexical = self.store.lexical_path(generation)\n"
    + LEXICAL_BUILT
    + SAVE_LEXICAL
)


@dataclass(frozen=True)
class Mutant:
    name: str
    requirement: str  # the issue-17 requirement whose mechanism it breaks
    change: str  # what the deliberate change does, in words
    file: str
    edits: tuple[tuple[str, str], ...]  # (code as it is, code as the mutant has it); code
    # starting "re:" is a regular expression (for a tuned constant: any value it is tuned to)
    tests: tuple[str, ...]  # pytest node ids that must fail


# fmt: off
MUTANTS = [
    # --- 2. tuned constants ------------------------------------------------------------------
    Mutant(
        "min-score-up", "2 threshold", "the decline threshold 0.08 higher", "bot/answer.py",
        ((r"re:^MIN_SCORE = (.+)$", r"MIN_SCORE = \1 + 0.08"),),
        (BORDER,),
    ),
    Mutant(
        "min-score-down", "2 threshold", "the decline threshold 0.08 lower", "bot/answer.py",
        ((r"re:^MIN_SCORE = (.+)$", r"MIN_SCORE = \1 - 0.08"),),
        (BORDER,),
    ),
    Mutant(
        "decline-ignores-time", "2 threshold", "declining counts the time for every question, "
        "not only one naming a period", "bot/ranking.py",
        (("    if fit is not None and fit.focus is Focus.PERIOD:\n",
          "    if fit is not None:\n"),),
        (f"{TUNED}::test_declining_for_a_named_period_counts_the_time_and_only_then",),
    ),
    Mutant(
        "decision-without-overlap", "2 weights", "shared words don't count when deciding to "
        "answer (D_OVERLAP = 0)", "bot/ranking.py",
        ((r"re:^D_OVERLAP = .+$", "D_OVERLAP = 0.0"),),
        (f"{TUNED}::test_the_decision_weighs_each_kind_of_evidence",),
    ),
    Mutant(
        "keep-margin-doubled", "2 keep margin", "sentences join the answer within twice the "
        "keep margin", "bot/answer.py",
        (("s.score < scored[0].score - KEEP_MARGIN",
          "s.score < scored[0].score - 2 * KEEP_MARGIN"),),
        (f"{TUNED}::test_a_sentence_joins_the_answer_within_the_keep_margin_and_not_beyond",),
    ),
    Mutant(
        "keep-any-article", "2 keep margin", "near-ties from other articles join the answer",
        "bot/answer.py",
        (("        if s.passage.article.id != scored[0].passage.article.id:\n"
          "            continue\n", ""),),
        (f"{TUNED}::test_only_sentences_of_the_best_article_join_it",),
    ),
    Mutant(
        "type-weight-off", "2 weights", "the answer type doesn't count in ranking (W_TYPE = 0)",
        "bot/ranking.py", ((r"re:^W_TYPE = .+$", "W_TYPE = 0.0"),),
        (TUNED,),
    ),
    Mutant(
        "names-weight-off", "2 weights", "names don't count in ranking (W_NAMES = 0)",
        "bot/ranking.py", ((r"re:^W_NAMES = .+$", "W_NAMES = 0.0"),),
        (TUNED,),
    ),
    Mutant(
        "time-weight-off", "2 weights", "the time prior doesn't count in ranking (W_TIME = 0)",
        "bot/ranking.py", ((r"re:^W_TIME = .+$", "W_TIME = 0.0"),),
        (TUNED,),
    ),
    Mutant(
        "no-grace-days", "2 time prior", "reports published after a named period get no grace "
        "days", "bot/time_prior.py",
        (("late = published - (self.end + timedelta(days=GRACE_DAYS))",
          "late = published - self.end"),),
        (TUNED,),
    ),
    Mutant(
        "half-lives-swapped", "2 time prior", "the fit falls slowly before a period and fast "
        "after it", "bot/time_prior.py",
        (("return _decay(before, BEFORE_HALF_LIFE, PERIOD_FLOOR)",
          "return _decay(before, AFTER_HALF_LIFE, PERIOD_FLOOR)"),
         ("return _decay(after, AFTER_HALF_LIFE, PERIOD_FLOOR)",
          "return _decay(after, BEFORE_HALF_LIFE, PERIOD_FLOOR)")),
        (TUNED,),
    ),
    Mutant(
        "compound-min-off-by-one", "2 compounds", "a question word of exactly COMPOUND_MIN "
        "letters no longer matches a compound's tail", "bot/ranking.py",
        (("if len(term) < COMPOUND_MIN or term == word:",
          "if len(term) <= COMPOUND_MIN or term == word:"),),
        (TUNED,),
    ),
    Mutant(
        "compound-prefix-ignored", "2 compounds", "any longer word ending with the question's "
        "word matches (COMPOUND_PREFIX ignored)", "bot/ranking.py",
        (("len(word) >= len(base) + COMPOUND_PREFIX", "len(word) > len(base)"),),
        (TUNED,),
    ),
    Mutant(
        "no-compounds", "2 compounds", "compound tails never match", "bot/ranking.py",
        (("    return terms | extra if extra else terms", "    return terms"),),
        (TUNED,),
    ),
    Mutant(
        "fusion-max", "2 fusion", "reciprocal rank fusion takes the max instead of the sum",
        "bot/retrieval.py",
        (("fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank + 1)",
          "fused[chunk_id] = max(fused.get(chunk_id, 0.0), weight / (k + rank + 1))"),),
        (TUNED,),
    ),
    Mutant(
        "fusion-without-constant", "2 fusion", "fusion by 1/rank, without the constant",
        "bot/retrieval.py",
        (("weight / (k + rank + 1)", "weight / (rank + 1)"),),
        (TUNED,),
    ),
    Mutant(
        "dense-off", "2 fusion", "dense retrieval switched off (W_DENSE = 0)", "bot/retrieval.py",
        ((r"re:^W_DENSE = .+$", "W_DENSE = 0.0"),),
        (f"{TUNED}::test_an_article_only_one_retriever_finds_is_still_considered",),
    ),
    Mutant(
        "lexical-off", "2 fusion", "BM25 retrieval switched off (W_LEXICAL = 0)",
        "bot/retrieval.py",
        ((r"re:^W_LEXICAL = .+$", "W_LEXICAL = 0.0"),),
        (f"{TUNED}::test_an_article_only_one_retriever_finds_is_still_considered",),
    ),
    # --- 3. edges of time --------------------------------------------------------------------
    Mutant(
        "december-ends-in-its-own-year", "3 time", "a month period ends on 1 January of its own "
        "year, so December ends before it starts", "bot/query.py",
        (("    end = _day(date(year + month // 12, month % 12 + 1, 1))",
          "    end = _day(date(year, month % 12 + 1, 1))"),),
        (f"{TIME}::test_periods_across_the_new_year",),
    ),
    Mutant(
        "list-december-ends-in-its-own-year", "3 time", "the same for --since/--until months",
        "bot/catalog.py",
        (("    after = date(year + month // 12, month % 12 + 1, 1)",
          "    after = date(year, month % 12 + 1, 1)"),),
        (f"{TIME}::test_list_periods_across_the_new_year",),
    ),
    Mutant(
        "month-name-always-this-year", "3 time", "'in December' asked in January means the "
        "coming December", "bot/query.py",
        (("        year = today.year if month <= today.month else today.year - 1  # the last one",
          "        year = today.year"),),
        (f"{TIME}::test_periods_across_the_new_year",),
    ),
    Mutant(
        "last-month-in-january", "3 time", "'last month' is this year's previous month, so in "
        "January it is January", "bot/query.py",
        (("            (today.replace(day=1) - timedelta(days=1)).replace(day=1),",
          "            today.replace(month=max(today.month - 1, 1), day=1),"),),
        (f"{TIME}::test_periods_across_the_new_year",),
    ),
    Mutant(
        "weekday-named-today-is-today", "3 time", "'on Thursday' asked on a Thursday is today",
        "bot/query.py",
        (("        back = (today.weekday() - wd) % 7 or 7  # the most recent such day before today",
          "        back = (today.weekday() - wd) % 7"),),
        (f"{TIME}::test_a_weekday_named_on_that_weekday_is_the_one_a_week_ago",),
    ),
    Mutant(
        "months-of-30-days", "3 time", "'the last N months/years' count 30/365 days, not "
        "calendar months (leap days and 31-day months lost)", "bot/query.py",
        (("            back = _months_before(today, n * (12 if unit == \"year\" else 1))",
          "            back = today - timedelta(days=n * (365 if unit == \"year\" else 30))"),),
        (f"{TIME}::test_leap_days",),
    ),
    Mutant(
        "days-at-utc-midnight", "3 time", "question periods run midnight to midnight UTC, not "
        "in the newsroom's zone", "bot/query.py",
        (("        start, end = (x.replace(tzinfo=tz) if x else None for x in (start, end))",
          "        start, end = (x.replace(tzinfo=UTC) if x else None for x in (start, end))"),),
        (f"{TIME}::test_days_run_midnight_to_midnight_in_the_newsroom_time_zone",
         f"{TIME}::test_a_story_at_half_past_eleven_on_new_years_eve_belongs_to_the_newsrooms_"
         "december"),
    ),
    Mutant(
        "list-days-at-utc-midnight", "3 time", "--since/--until days run midnight to midnight "
        "UTC", "bot/catalog.py",
        (("    return datetime.combine(day, time.min, tz)",
          "    return datetime.combine(day, time.min, UTC)"),),
        (f"{TIME}::test_list_periods_in_the_newsroom_time_zone",),
    ),
    Mutant(
        "as-of-instant-read-in-utc", "3 time", "an as-of instant's day is taken in its own zone, "
        "not the newsroom's", "bot/query.py",
        (("        today = (as_of.astimezone(tz) if as_of.tzinfo else as_of).date()",
          "        today = as_of.date()"),),
        (f"{TIME}::test_days_run_midnight_to_midnight_in_the_newsroom_time_zone",),
    ),
    Mutant(
        "free-text-moment-in-utc", "3 time", "a --since moment in free text is read in UTC",
        "bot/catalog.py",
        (("    parsed = parse_date(text, getattr(tz, \"key\", None) or \"UTC\")",
          "    parsed = parse_date(text)"),),
        (f"{TIME}::test_list_periods_in_the_newsroom_time_zone",),
    ),
    # --- 4. Slack dedupe, commit ordering, loader messages ------------------------------------
    Mutant(
        "dedupe-message-key", "4 dedupe", "the Slack middleware dedupes by event id only (the "
        "message key channel:ts is dropped)", "bot/slack.py",
        (("                keys.append(f\"message:{event.get('channel')}:{event.get('ts')}\")",
          "                pass"),),
        (f"{SLACK}::test_one_message_delivered_as_a_mention_and_as_a_dm_is_answered_once",),
    ),
    Mutant(
        "commit-before-files", "4 commit order", "the rows are committed before the vector "
        "and lexical files are written", "bot/index/embedded_writer.py",
        ((WRITE_FILES + COMMIT_ROWS, COMMIT_ROWS + WRITE_FILES),),
        ("tests/test_commit_order.py",),
    ),
    Mutant(
        "commit-between-files", "4 commit order", "the rows are committed after the vector "
        "file but before the lexical folder", "bot/index/embedded_writer.py",
        ((LEXICAL_BUILT + SAVE_LEXICAL + COMMIT_ROWS, LEXICAL_BUILT + COMMIT_ROWS + SAVE_LEXICAL),),
        ("tests/test_commit_order.py",),
    ),
    Mutant(
        "broken-bom-text-replaced", "4 loader messages", "text after a BOM is decoded with "
        "errors='replace': garbled text accepted", "bot/loaders/encoding.py",
        (("                return _check_text(source, data.decode(encoding))",
          "                return _check_text(source, data.decode(encoding, \"replace\"))"),),
        (ENCODING,),
    ),
    Mutant(
        "undecodable-accepted", "4 loader messages", "bytes in no common encoding are decoded "
        "as cp1252 with replacement characters", "bot/loaders/encoding.py",
        (("    if not results:\n        raise ArticleError(",
          "    if not results:\n        return data.decode(\"cp1252\", \"replace\")\n"
          "        raise ArticleError("),),
        (ENCODING,),
    ),
    Mutant(
        "nul-after-decoding-dropped", "4 loader messages", "a NUL in decoded text is stripped "
        "as a control character instead of refusing the file", "bot/loaders/encoding.py",
        (("    if \"\\x00\" in text[:4096]:\n"
          "        raise ArticleError(source, \"looks like a binary file, not text\")\n"
          "    # Control",
          "    # Control"),),
        (ENCODING,),
    ),
    Mutant(
        "bom-offset-after-bom", "4 loader messages", "a broken UTF-8-with-BOM file names the "
        "bad byte counted from after the BOM", "bot/loaders/encoding.py",
        (("                where = exc.start + (len(bom) if encoding == \"utf-8-sig\" else 0)",
          "                where = exc.start"),),
        (ENCODING,),
    ),
    # --- 5. pacing, deadlines, acks ----------------------------------------------------------
    Mutant(
        "no-pacing", "5 pacing", "the channel pacer reserves slots but never waits",
        "bot/slack.py",
        (("        if slot > now:\n            self._sleep(slot - now)",
          "        if slot > now:\n            pass"),),
        ("tests/slack/test_slack_parts.py::test_channel_pacer_spaces_messages_per_channel",
         "tests/slack/test_slack_parts.py::"
         "test_channel_pacer_on_the_real_clock_waits_at_least_the_interval",
         f"{SLACK}::test_a_long_answer_is_split_within_limits_and_paced"),
    ),
    Mutant(
        "posts-not-paced", "5 pacing", "chat.postMessage is called without waiting for the "
        "channel's pacer", "bot/slack.py",
        (("        self.pacer.wait(channel)\n        self.client.chat_postMessage(",
          "        self.client.chat_postMessage("),),
        (f"{SLACK}::test_a_long_answer_is_split_within_limits_and_paced",),
    ),
    Mutant(
        "llm-deadline-not-kept", "5 deadlines", "the model's answer is awaited as if the "
        "deadline were an hour away", "bot/llm.py",
        (("                remaining = deadline - self.clock()",
          "                remaining = 3600.0"),),
        (f"{LLM}::test_an_answer_that_comes_after_the_deadline_is_not_used",
         f"{LLM}::test_a_slow_drip_is_cut_off_at_the_deadline_and_not_retried"),
    ),
    Mutant(
        "llm-waits-past-deadline", "5 deadlines", "a backoff or Retry-After wait is made even "
        "when it ends past the deadline", "bot/llm.py",
        (("                if self.clock() + pause >= deadline:",
          "                if False:"),),
        (f"{LLM}::test_a_wait_past_the_deadline_gives_up_at_once",
         f"{LLM}::test_retries_stop_when_the_next_backoff_would_end_past_the_deadline"),
    ),
    Mutant(
        "llm-retry-after-ignored", "5 deadlines", "Retry-After is ignored", "bot/llm.py",
        (("                pause = min(max(self.backoff * 2 ** (tries - 1), retry_after(exc)), "
          "30.0)",
          "                pause = min(self.backoff * 2 ** (tries - 1), 30.0)"),),
        (f"{LLM}::test_backoff_grows_and_honours_retry_after",),
    ),
    Mutant(
        "llm-backoff-flat", "5 deadlines", "the backoff doesn't grow", "bot/llm.py",
        (("max(self.backoff * 2 ** (tries - 1), retry_after(exc))",
          "max(self.backoff, retry_after(exc))"),),
        (f"{LLM}::test_backoff_grows_and_honours_retry_after",),
    ),
    Mutant(
        "deadline-counts-the-search", "5 deadlines", "the model's time limit is counted from "
        "the question, so loading and searching eat into it", "bot/core.py",
        (("            if deadline is None:\n"
          "                deadline = generative.llm.deadline()\n",
          "            if deadline is None:\n"
          "                deadline = generative.llm.deadline()"
          " - (time.perf_counter() - started)\n"),),
        ("tests/test_generate.py::"
         "test_the_model_time_limit_starts_at_the_model_not_at_the_question",),
    ),
    Mutant(
        "deadline-per-model-call", "5 deadlines", "the rewrite and the answer each get a whole "
        "time limit of their own", "bot/core.py",
        (("                deadline += mark - local",
          "                deadline = generative.llm.deadline()"),),
        ("tests/test_generate.py::"
         "test_one_time_limit_covers_the_rewrite_and_the_answer_but_not_the_search_between",),
    ),
    Mutant(
        "answers-on-bolts-pool", "5 acks", "answers run on bolt's listener threads instead of "
        "their own pool", "bot/slack.py",
        (("        self.answers.submit(work, *args).add_done_callback(_log_crash)",
          "        work(*args)"),),
        (f"{SLACK}::test_acks_never_wait_behind_more_answers_than_the_pools_have_threads",),
    ),
    Mutant(
        "ask-answered-before-ack", "5 acks", "/ask is answered before it is acknowledged",
        "bot/slack.py",
        (("        ack(text=reply.text, blocks=reply.blocks, response_type=\"ephemeral\")",
          "        if question and not refusal:\n"
          "            self.answer_command(command)\n"
          "        ack(text=reply.text, blocks=reply.blocks, response_type=\"ephemeral\")"),),
        (f"{SLACK}::test_ask_is_acknowledged_before_its_answer_is_worked_on",),
    ),
    Mutant(
        "event-ack-after-answer", "5 acks", "events are processed before the response and "
        "answered on the listener thread: the ack waits for the answer", "bot/slack.py",
        (("            process_before_response=False,",
          "            process_before_response=True,"),
         ("        self.answers.submit(work, *args).add_done_callback(_log_crash)",
          "        work(*args)")),
        (f"{SLACK}::test_the_ack_and_the_work_started_signal_come_before_the_answer",
         "tests/slack/test_slack_socket.py::"
         "test_mention_envelope_is_acked_at_once_and_answered_in_thread"),
    ),
]
# fmt: on


def project_files() -> list[str]:
    """Tracked files and new ones not ignored: what a commit of this checkout would hold."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return [p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def copy_project(dest: Path) -> None:
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)


def apply(mutant: Mutant, copy: Path) -> None:
    path = copy / mutant.file
    path.write_text(mutated(mutant, path.read_text(encoding="utf-8")), encoding="utf-8")


def mutated(mutant: Mutant, text: str) -> str:
    """`text` with the mutant's edits made; each must apply exactly once."""
    for old, new in mutant.edits:
        if old.startswith("re:"):
            text, found = re.subn(old[3:], new, text, flags=re.M)
        else:
            found = text.count(old)
            text = text.replace(old, new)
        if found != 1:
            raise SystemExit(
                f"mutant {mutant.name}: the code to change occurs {found} times in "
                f"{mutant.file} (the code moved on: update tests/mutants.py)\n{old}"
            )
    return text


@dataclass
class Outcome:
    returncode: int
    failed: list[str]
    seconds: float
    tail: str


def run_tests(copy: Path, tests: tuple[str, ...]) -> Outcome:
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--timeout", "150", *tests]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    tail = "\n".join(done.stdout.strip().splitlines()[-3:])
    return Outcome(done.returncode, failed, time.monotonic() - started, tail)


def check_imports_from(copy: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    where = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        cwd=copy, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not where.startswith(str(copy)):
        raise SystemExit(f"the copy's tests would import bot from {where}, not from {copy}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--tests", nargs="+", metavar="NODE", help="run these tests instead of each mutant's own"
    )
    args = parser.parse_args()
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:38} {m.requirement:18} {m.change}")
        return 0
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    if args.tests:  # e.g. to show which older tests let a mutant through
        chosen = [replace(m, tests=tuple(args.tests)) for m in chosen]

    with tempfile.TemporaryDirectory(prefix="newsbot-mutants-") as tmp:
        base = Path(tmp) / "base"
        copy_project(base)
        check_imports_from(base)
        tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        print(f"unchanged copy: {len(tests)} test targets ...", flush=True)
        clean = run_tests(base, tests)
        print(f"  {'passed' if clean.returncode == 0 else 'FAILED'} in {clean.seconds:.0f} s: "
              f"{clean.tail.splitlines()[-1] if clean.tail else ''}", flush=True)  # fmt: skip
        if clean.returncode != 0:
            print(clean.tail)
            return 1
        missed = 0
        for m in chosen:
            copy = Path(tmp) / m.name
            shutil.copytree(base, copy)
            apply(m, copy)
            outcome = run_tests(copy, m.tests)
            caught = outcome.returncode == 1 and outcome.failed
            missed += not caught
            verdict = "caught" if caught else ("MISSED" if outcome.returncode == 0 else "ERROR")
            print(f"[{verdict}] {m.name} ({m.requirement}): {m.change} [{m.file}, "
                  f"{outcome.seconds:.0f} s]", flush=True)  # fmt: skip
            for name, cases in Counter(n.split("[")[0] for n in outcome.failed).items():
                print(f"    failed: {name}" + (f" ({cases} cases)" if cases > 1 else ""))
            if not caught:
                print("    " + outcome.tail.replace("\n", "\n    "))
            shutil.rmtree(copy)
        print(f"{len(chosen) - missed} of {len(chosen)} deliberate changes caught")
        return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
