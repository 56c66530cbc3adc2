"""ChatLLM's deadline, retries and backoff, and building models from a spec (bot/llm.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import SecretStr

from bot.errors import ConfigError, ModelError
from bot.llm import ChatLLM, build_chat_model, describe, install_hint, retry_after
from tests.chat_fakes import FailAfter, ScriptedChatModel, Stall, StatusError
from tests.clock import FakeClock

ASK = [HumanMessage("Who resigned?")]


def llm(
    *script: object, retries: int = 2, timeout: float = 5.0
) -> tuple[ChatLLM, ScriptedChatModel]:
    model = ScriptedChatModel(script=list(script))
    return ChatLLM(model, name="scripted", timeout=timeout, retries=retries, backoff=0.01), model


def test_streams_tokens_in_order_and_returns_the_whole_text() -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("The mayor resigned on Monday [1].")]))
    seen: list[str] = []
    text = ChatLLM(model, timeout=5).stream(ASK, seen.append)
    assert text == "The mayor resigned on Monday [1]."
    assert len(seen) > 3 and "".join(seen) == text


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 408])
def test_retries_transient_errors_then_answers(status: int) -> None:
    chat, model = llm(StatusError(status), StatusError(status), "Back [1].")
    assert chat.complete(ASK) == "Back [1]."
    assert len(model.calls) == 3


def test_gives_up_after_the_retries_with_the_reason() -> None:
    chat, model = llm(StatusError(503), retries=2)
    with pytest.raises(ModelError) as error:
        chat.complete(ASK)
    assert error.value.reason == "HTTP 503 after 3 tries"
    assert len(model.calls) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(status: int) -> None:
    chat, model = llm(StatusError(status), "never reached")
    with pytest.raises(ModelError, match=f"^HTTP {status}$"):
        chat.complete(ASK)
    assert len(model.calls) == 1


def test_empty_and_garbled_answers_are_retried() -> None:
    chat, model = llm(
        "", "   \n", ValueError("Expecting value: line 1 column 1"), "Fine [1].", retries=3
    )
    assert chat.complete(ASK) == "Fine [1]."
    assert len(model.calls) == 4
    chat, _ = llm("")
    with pytest.raises(ModelError, match=r"^empty response after 3 tries$"):
        chat.complete(ASK)


def clocked(
    model: ScriptedChatModel,
    clock: FakeClock,
    *,
    timeout: float,
    retries: int = 2,
    backoff: float = 0.5,
) -> ChatLLM:
    """A ChatLLM on a fake clock: its waits are recorded, not slept."""
    return ChatLLM(
        model, timeout=timeout, retries=retries, backoff=backoff, clock=clock, sleep=clock.sleep
    )


def test_backoff_grows_and_honours_retry_after() -> None:
    clock = FakeClock()
    model = ScriptedChatModel(script=[StatusError(503), StatusError(503), "ok"])
    assert clocked(model, clock, timeout=10, retries=2, backoff=0.1).complete(ASK) == "ok"
    assert clock.slept == [0.1, 0.2]

    clock = FakeClock()
    model = ScriptedChatModel(script=[StatusError(429, {"retry-after": "0.5"}), "ok"])
    clocked(model, clock, timeout=10, retries=2, backoff=0.01).complete(ASK)
    assert clock.slept == [0.5]


def test_a_wait_past_the_deadline_gives_up_at_once() -> None:
    clock = FakeClock()
    model = ScriptedChatModel(script=[StatusError(429, {"retry-after": "30"}), "ok"])
    with pytest.raises(ModelError, match=r"^HTTP 429$"):
        clocked(model, clock, timeout=2, retries=2).complete(ASK)
    assert clock.slept == [] and len(model.calls) == 1


def test_retries_stop_when_the_next_backoff_would_end_past_the_deadline() -> None:
    clock = FakeClock()
    model = ScriptedChatModel(script=[StatusError(503)])
    chat = clocked(model, clock, timeout=1.0, retries=5, backoff=0.4)
    with pytest.raises(ModelError, match=r"^HTTP 503 after 2 tries$"):
        chat.complete(ASK)  # waits 0.4 s; the next 0.8 s would end at 1.2 s, past 1.0 s
    assert clock.slept == [0.4] and len(model.calls) == 2


def test_an_answer_that_comes_after_the_deadline_is_not_used() -> None:
    clock = FakeClock()

    def slow(messages: object) -> str:
        clock.advance(3.0)  # the model took 3 s, on the clock the deadline is measured by
        return "Late [1]."

    chat = clocked(ScriptedChatModel(script=[slow]), clock, timeout=2.0, retries=0)
    with pytest.raises(ModelError, match=r"^timed out$"):
        chat.complete(ASK)
    # a caller's own deadline is on the same clock
    on_time = clocked(ScriptedChatModel(script=["On time [1]."]), clock, timeout=2.0)
    assert on_time.complete(ASK, deadline=clock() + 0.5) == "On time [1]."


# A model that never answers, or drips forever, is cut off by a real wait in another thread:
# these tests give the deadline generous room and the model far more time than that, so
# they pass on a loaded machine and fail when the deadline is not kept.


def test_a_model_that_never_answers_is_cut_off_at_the_deadline() -> None:
    stall = Stall(seconds=60)
    chat, _ = llm(stall, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"^timed out$"):
        chat.complete(ASK)
    assert time.monotonic() - started < 20  # the model would have taken 60 s
    stall.released.set()


def test_a_slow_drip_is_cut_off_at_the_deadline_and_not_retried() -> None:
    model = ScriptedChatModel(script=["word " * 1000], token_delay=0.05)  # 50 s in all
    seen: list[str] = []
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"^timed out$"):
        ChatLLM(model, timeout=1.0, backoff=0.01).stream(ASK, seen.append)
    assert time.monotonic() - started < 20
    assert 0 < len(seen) < 1000
    assert len(model.calls) == 1  # the user saw text: no second attempt


def test_a_failure_mid_stream_is_final() -> None:
    chat, model = llm(FailAfter("The mayor ", ConnectionResetError("reset")), "Never [1].")
    seen: list[str] = []
    with pytest.raises(ModelError, match=r"^connection failed$"):
        chat.stream(ASK, seen.append)
    assert "".join(seen) == "The mayor " and len(model.calls) == 1


def test_a_failure_before_any_text_is_retried_even_when_streaming() -> None:
    chat, model = llm(FailAfter("", ConnectionRefusedError("refused")), "Now [1].")
    seen: list[str] = []
    assert chat.stream(ASK, seen.append) == "Now [1]."
    assert "".join(seen) == "Now [1]." and len(model.calls) == 2


def test_leading_blank_lines_are_not_streamed() -> None:
    chat, _ = llm("\n\nThe mayor resigned [1].")
    seen: list[str] = []
    chat.stream(ASK, seen.append)
    assert "".join(seen) == "The mayor resigned [1]."


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError(), "timed out"),
        (ConnectionRefusedError(), "connection refused"),
        (ConnectionResetError(), "connection failed"),
        (StatusError(502), "HTTP 502"),
        (KeyError("choices"), "malformed response"),
        # LangChain's error for an OpenAI stream with no SSE event in it: a garbled body.
        (ValueError("No generation chunks were returned"), "malformed response"),
        (RuntimeError("odd"), "RuntimeError: odd"),
    ],
)
def test_describe(error: Exception, reason: str) -> None:
    assert describe(error) == reason


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after(StatusError(429, {"retry-after": "2"})) == 2.0
    assert retry_after(StatusError(429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(StatusError(503)) == 0.0


@pytest.mark.parametrize("value", ["soon", "Wed, 99 Foo 2015", "nan", "inf", "-3"])
def test_an_unreadable_retry_after_counts_as_absent(value: str) -> None:
    assert retry_after(StatusError(429, {"retry-after": value})) == 0.0


def test_an_unreadable_retry_after_still_retries_with_backoff() -> None:
    chat, model = llm(StatusError(429, {"retry-after": "soon"}), "Back [1].")
    assert chat.complete(ASK) == "Back [1]."
    assert len(model.calls) == 2


# --- building a model from a spec -------------------------------------------------------------


def test_openai_compatible_server_without_key_gets_a_placeholder_not_the_environment_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key-for-openai-only")
    model = build_chat_model("openai:qwen2.5", base_url="http://127.0.0.1:8080/v1", timeout=7)
    assert model.openai_api_key.get_secret_value() == "not-set"  # type: ignore[attr-defined]
    assert model.openai_api_base == "http://127.0.0.1:8080/v1"  # type: ignore[attr-defined]
    assert model.request_timeout == 7 and model.max_retries == 0  # type: ignore[attr-defined]


def test_api_key_setting_is_passed_as_a_secret() -> None:
    model = build_chat_model(
        "openai:gpt-4o-mini", api_key=SecretStr("sk-test"), base_url="http://127.0.0.1:1/v1"
    )
    assert model.openai_api_key.get_secret_value() == "sk-test"  # type: ignore[attr-defined]
    assert "sk-test" not in repr(model)


def test_ollama_gets_its_url_timeout_and_key_as_bearer() -> None:
    model = build_chat_model(
        "ollama:llama3.1:8b", base_url="http://127.0.0.1:11434", api_key="k", timeout=9
    )
    assert model.model == "llama3.1:8b"  # type: ignore[attr-defined]
    assert model.client_kwargs == {  # type: ignore[attr-defined]
        "timeout": 9,
        "headers": {"Authorization": "Bearer k"},
    }


def test_openai_without_any_key_says_which_setting() -> None:
    with pytest.raises(ConfigError, match="set NEWSBOT_LLM_API_KEY or --llm-api-key"):
        build_chat_model("openai:gpt-4o-mini", api_key=None)


@pytest.mark.skipif(
    importlib.util.find_spec("langchain_anthropic") is not None, reason="anthropic extra installed"
)
def test_a_missing_provider_package_names_the_extra() -> None:
    with pytest.raises(ConfigError) as error:
        build_chat_model("anthropic:claude-sonnet-4-5", api_key="k")
    assert str(error.value) == (
        "the model 'anthropic:claude-sonnet-4-5' needs a LangChain integration that is not "
        "installed: pip install 'newsbot[anthropic]'"
    )


def test_install_hints() -> None:
    assert install_hint("openai") == "pip install 'newsbot[openai]'"
    assert install_hint("ollama") == "pip install 'newsbot[ollama]'"
    assert install_hint("groq") == "pip install langchain-groq"
    error = ImportError("Initializing ChatOpenAI requires the langchain-openai package.")
    assert install_hint(None, error) == "pip install 'newsbot[openai]'"


def test_a_provider_without_an_extra_names_its_package() -> None:
    with pytest.raises(ConfigError, match="pip install langchain-groq"):
        build_chat_model("groq:llama-3.3-70b")


def test_an_unknown_model_name_asks_for_provider_and_model() -> None:
    with pytest.raises(ConfigError, match="write it as PROVIDER:MODEL") as error:
        build_chat_model("llama3")
    assert "known providers: " in str(error.value) and "ollama, openai" in str(error.value)


def test_an_unknown_provider_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError) as error:
        build_chat_model("bogus:foo")
    message = str(error.value)
    assert message.startswith(
        "cannot set up the model 'bogus:foo': unknown provider 'bogus'; known providers: "
    )
    assert "anthropic" in message and "ollama" in message and "openai" in message
    assert "PROVIDER:MODEL" not in message  # it is written that way; the provider is the problem


def test_the_provider_prefix_is_not_case_sensitive() -> None:
    model = build_chat_model("Ollama:llama3.1", base_url="http://127.0.0.1:11434")
    assert model.model == "llama3.1"  # type: ignore[attr-defined]


def test_importing_bot_llm_does_not_import_provider_packages() -> None:
    code = (
        "import sys, bot.llm, bot.generate, bot.verify, bot.core\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('langchain_openai', 'langchain_ollama', 'openai', 'ollama', 'langchain_anthropic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
