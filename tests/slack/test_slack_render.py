"""Block Kit rendering: pure functions, no Slack."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.records import DECLINE_TEXT, RetrievedArticle
from bot.slack_render import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    SHARE,
    answer_messages,
    block_chars,
    escape,
    fit,
    link,
    literal,
    shown_question,
    split_mrkdwn,
    unescape,
    warning,
)
from tests.slack.conftest import citation, make_answer


def test_escape_neutralises_every_control_sequence() -> None:
    text = "Alert <!channel> & <!here>, ping <@U123>, see <https://x.example|here>"
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == (
        "Alert &lt;!channel&gt; &amp; &lt;!here&gt;, ping &lt;@U123&gt;, "
        "see &lt;https://x.example|here&gt;"
    )
    assert unescape(escaped) == text
    assert escape("&lt;") == "&amp;lt;"  # an article's literal entity stays literal


def test_link_only_for_http_urls_and_never_breakable() -> None:
    assert link("https://a.example/x?q=1&r=2", "A & B") == (
        "<https://a.example/x?q=1&amp;r=2|A &amp; B>"
    )
    assert link("https://a.example/x y|z>", "L|abel") == "<https://a.example/x%20y%7Cz%3E|L¦abel>"
    assert link("javascript:alert(1)", "Click") == "Click"
    assert link("slack://channel?id=C1", "<!channel>") == "&lt;!channel&gt;"
    assert link(None, "Headline") == "Headline"


def test_answer_message_layout() -> None:
    answer = make_answer(
        "When?",
        notes=["Searched articles from 2018."],
        citations=[citation(1), citation(2, headline="Second", url=None, also_ran_in=("AP",))],
    )
    [message] = answer_messages(answer, answer_id="abc")
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["section", "context", "context", "context", "actions"]
    assert message.blocks[1]["elements"][0]["text"] == "_Searched articles from 2018._"
    assert message.blocks[3]["elements"][0]["text"] == (
        "*[2]* Gazette · 5 Feb 2018 — Second (also ran in AP)"
    )
    assert [e["action_id"] for e in message.blocks[4]["elements"]] == [FEEDBACK_UP, FEEDBACK_DOWN]
    assert all(e["value"] == "abc" for e in message.blocks[4]["elements"])
    assert message.text == "The mayor resigned on Monday. [1]"
    [shared] = answer_messages(answer, answer_id="abc", share=True, asked_by="U0ABC")
    assert shared.blocks[0]["elements"][0]["text"] == "<@U0ABC> asked: When?"
    assert SHARE in [e["action_id"] for e in shared.blocks[-1]["elements"]]


def test_declined_answer_lists_the_closest_articles() -> None:
    retrieved = [
        RetrievedArticle(i, i, f"Story {i}", "AP", None, None, f"/a/{i}.txt", 0.1)
        for i in range(1, 6)
    ]
    answer = make_answer("Who?", DECLINE_TEXT, declined=True, citations=[], retrieved=retrieved)
    [message] = answer_messages(answer)
    texts = [block_text(b) for b in message.blocks]
    assert texts == [
        DECLINE_TEXT,
        "*Closest articles:*",
        "*1.* AP · undated — Story 1",
        "*2.* AP · undated — Story 2",
        "*3.* AP · undated — Story 3",
    ]


def block_text(block: dict) -> str:  # type: ignore[type-arg]
    return block["text"]["text"] if "text" in block else block["elements"][0]["text"]


def test_many_sources_spill_into_a_second_message_within_limits() -> None:
    answer = make_answer("Q?", citations=[citation(i) for i in range(1, 80)])
    messages = answer_messages(answer, answer_id="abc")
    assert len(messages) == 2
    assert all(len(m.blocks) <= MAX_BLOCKS for m in messages)
    assert sum(1 for m in messages for b in m.blocks if b["type"] == "context") == 79
    assert messages[1].blocks[-1]["type"] == "actions"
    assert messages[1].text == "Sources"  # a notification that isn't empty


def test_long_answer_split_keeps_every_message_in_limits() -> None:
    text = ("A long sentence about the budget & <council> plans. " * 200 + "\n\n") * 12
    messages = answer_messages(make_answer("Q?", text), answer_id="x")
    assert len(messages) >= 3
    for m in messages:
        assert len(m.blocks) <= MAX_BLOCKS
        assert sum(block_chars(b) for b in m.blocks) <= MAX_MESSAGE_CHARS
        assert len(m.text) <= MAX_MESSAGE_CHARS
        for b in m.blocks:
            if b["type"] == "section":
                assert len(b["text"]["text"]) <= MAX_SECTION_CHARS
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert unescape(" ".join(sections)).split() == text.split()


def test_split_prefers_paragraphs_then_sentences() -> None:
    text = "First sentence here. Second one follows. [1]\n\nA new paragraph starts."
    assert split_mrkdwn(text, 60) == [
        "First sentence here. Second one follows. [1]",
        "A new paragraph starts.",
    ]
    # the citation marker stays with its sentence
    assert split_mrkdwn("One two three. [1] Four five six.", 25) == [
        "One two three. [1]",
        "Four five six.",
    ]


def test_split_never_cuts_a_link_or_entity() -> None:
    link_text = "<https://a.example/x|a long label with spaces>"
    text = f"see {link_text} and &amp; more words here"
    for limit in range(12, len(text)):
        pieces = split_mrkdwn(text, limit)
        for piece in pieces:
            assert len(piece) <= limit
            assert piece.count("<") == piece.count(">")
            assert not re.search(r"&(?!amp;|lt;|gt;)", piece)
        joined = " ".join(pieces)
        # a link that fits is kept whole; one longer than a piece keeps its label
        kept = link_text if len(link_text) <= limit else "a long label with spaces"
        assert joined.split() == f"see {kept} and &amp; more words here".split()


def test_unbreakable_run_is_cut_hard_but_not_inside_an_entity() -> None:
    run = "x" * 10 + "&amp;" + "y" * 10
    pieces = split_mrkdwn(run, 12)
    assert "".join(pieces) == run
    assert all(len(p) <= 12 for p in pieces)
    assert not any(re.search(r"&(?!amp;)|&a?m?p?$", p) for p in pieces)


_word = st.text(alphabet='abcdefghij&<>.!?"”', min_size=1, max_size=12)
_space = st.sampled_from([" ", "  ", "\n", "\n\n", " \n "])


# No time limits: a loaded machine must not fail a property (deadline, too_slow).
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_word, _space), min_size=1, max_size=120),
    st.integers(min_value=60, max_value=400),
)
def test_split_property_loses_nothing_and_respects_the_limit(
    parts: list[tuple[str, str]], limit: int
) -> None:
    text = escape("".join(w + s for w, s in parts))
    pieces = split_mrkdwn(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    # no word cut: the words read back exactly (every word is shorter than the limit)
    assert " ".join(pieces).split() == text.split()
    for p in pieces:  # no entity cut in half
        assert not re.search(r"&(?!amp;|lt;|gt;)", p)


def test_warning_escapes_its_text() -> None:
    message = warning("bad <!channel> & worse")
    assert message.text == ":warning: bad &lt;!channel&gt; &amp; worse"
    assert message.blocks[0]["text"]["verbatim"] is True


def test_every_context_line_fits_slacks_limit_after_escaping() -> None:
    amps = "&" * 2000  # 2,000 characters, 10,000 once escaped
    answer = make_answer(
        amps,
        notes=[amps],
        citations=[citation(1, headline="Short", url="https://a.example/" + "ü" * 1900)],
    )
    [message] = answer_messages(answer, answer_id="abc", show_question=True)
    lines = [e["text"] for b in message.blocks if b["type"] == "context" for e in b["elements"]]
    assert len(lines) == 3 and all(len(line) <= MAX_SECTION_CHARS for line in lines)
    question, note, source = lines
    assert question.startswith("Question: &amp;") and question.endswith("&amp;…")
    assert note.startswith("_&amp;") and note.endswith("&amp;…_")  # never inside an entity
    assert source == "*[1]* Gazette · 5 Feb 2018 — Short"
    assert len(warning(amps).blocks[0]["text"]["text"]) <= MAX_SECTION_CHARS
    assert warning(amps).blocks[0]["text"]["text"].endswith("&amp;…")
    assert fit("one two three", 10) == "one two…"  # at a word boundary when there is one
    assert fit("<https://a.example|a link> and more", 20) == "…"  # never half a link


def test_the_question_shown_with_an_answer_reads_back() -> None:
    answer = make_answer("Who said <no> & why?")
    for kw in ({"asked_by": "U1"}, {"show_question": True}):
        [message] = answer_messages(answer, answer_id="abc", **kw)
        assert shown_question(message.blocks) == "Who said <no> & why?"
    [plain] = answer_messages(answer, answer_id="abc")
    assert shown_question(plain.blocks) is None
    assert shown_question([]) is None


def test_literal_neutralises_what_slack_would_format_and_nothing_else() -> None:
    z = "\u200b"
    assert literal("> quoted\n> more & 2>1") == f"{z}&gt; quoted\n{z}&gt; more &amp; 2&gt;1"
    assert literal("snake_case a*b 2*3") == "snake_case a*b 2*3"  # inside a word Slack won't
    assert literal("*a* _b_") == f"{z}*{z}a{z}*{z} {z}_{z}b{z}_{z}"
    assert literal("at 12:30:45, :+1: :flag-de:") == f"at 12:{z}30:45, :{z}+1: :{z}flag-de:"
    for text in ("> x", "*a* _b_ ~c~ `d`", "1:100:2", "<!here> & :fire:"):
        assert unescape(literal(text)) == text


# --- dated evidence, newer coverage, changed figures, related coverage (issue 14) -------

HOSTILE = "<!channel> *bold* :fire: <https://evil.example|x>"


def _coverage_answer():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from bot.records import Coverage, Figure, FigureChange

    when = datetime(2018, 2, 9, tzinfo=UTC)
    newer = Coverage(9, f"Toll rises {HOSTILE}", "AP <!here>", when, "https://ap.example/9",
                     "/a/9.txt", True)  # fmt: skip

    def figure(n: int, text: str, outlet: str, day: int) -> Figure:
        return Figure(text, 0.0, n, "H", outlet, datetime(2018, 2, day, tzinfo=UTC), None,
                      f"/a/{n}.txt", text, 0, len(text))  # fmt: skip

    retrieved = [
        RetrievedArticle(1, 1, "Mayor resigns", "Gazette", when, None, "/a/1.txt", 0.9),
        RetrievedArticle(2, 9, "Toll rises", "AP", when, None, "/a/9.txt", 0.8),
        RetrievedArticle(
            3, 3, f"Related {HOSTILE}", "BBC", None, "https://b.example/3", "/a/3.txt", 0.7
        ),
        RetrievedArticle(4, 4, "Four", "BBC", when, None, "/a/4.txt", 0.6),
        RetrievedArticle(5, 5, "Five", "BBC", when, None, "/a/5.txt", 0.5),
        RetrievedArticle(6, 6, "Six", "BBC", when, None, "/a/6.txt", 0.4),
    ]
    return make_answer(
        "How many?",
        citations=[citation(1, newer_coverage=(newer,))],
        retrieved=retrieved,
        figures_differ=FigureChange(
            "killed",
            figure(1, "over 100 killed", "Gazette", 8),
            1,
            figure(9, f"150 killed {HOSTILE}", "AP", 9),
        ),
    )


def test_figures_newer_and_related_coverage_blocks_are_escaped_and_small() -> None:
    [message] = answer_messages(_coverage_answer(), answer_id="abc")
    texts = [block_text(b) for b in message.blocks if b["type"] == "context"]
    assert texts[0].startswith("*Figures differ:* over 100 killed (Gazette, 8 Feb) → 150 killed ")
    assert texts[1] == "*[1]* Gazette · 5 Feb 2018 — <https://gazette.example/mayor|Mayor resigns>"
    assert texts[2].startswith(
        "*Newer coverage:* <https://ap.example/9|Toll rises &lt;!channel&gt; "
    ) and texts[2].endswith("— AP &lt;!here&gt;, 9 Feb 2018")
    related = texts[3]
    assert related.startswith("*Related coverage:* <https://b.example/3|Related &lt;!channel&gt;")
    assert "Four — BBC, 9 Feb 2018" in related and "Five — BBC" in related
    assert "Six" not in related and "Mayor resigns" not in related  # three, none cited or newer
    sent = str(message.blocks)
    for forbidden in ("<!channel>", "<!here>", "<https://evil.example"):
        assert forbidden not in sent
    assert all(len(t) <= MAX_SECTION_CHARS for t in texts)
    assert [b["type"] for b in message.blocks][-1] == "actions"


def test_a_declined_answer_has_no_figures_or_related_lines() -> None:
    answer = _coverage_answer()
    answer.declined, answer.text, answer.citations = True, DECLINE_TEXT, []
    [message] = answer_messages(answer)
    texts = [block_text(b) for b in message.blocks]
    assert not any("Figures differ" in t or "Related coverage" in t for t in texts)
    assert "*Closest articles:*" in texts
