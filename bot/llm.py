"""Chat models: build one from a spec, and call it with a deadline and bounded retries.

`build_chat_model("openai:gpt-4o-mini", ...)` goes through LangChain's `init_chat_model`, so
any provider LangChain knows works; the provider packages are optional extras and imported
only here, when a model is configured. `ChatLLM` runs each call in a worker thread and waits
on it with a deadline, so a server that accepts the connection and then says nothing (or
drips tokens forever) can't hang a question: past the deadline the caller gets `ModelError`
and answers extractively.
"""

from __future__ import annotations

import email.utils
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from pydantic import SecretStr

log = logging.getLogger(__name__)

# Which newsbot extra (pyproject.toml) installs a provider's LangChain package.
PROVIDER_EXTRAS = {
    "openai": "openai",
    "azure_openai": "openai",
    "ollama": "ollama",
    "anthropic": "anthropic",
}
PACKAGE_EXTRAS = {
    "langchain-openai": "openai",
    "langchain-ollama": "ollama",
    "langchain-anthropic": "anthropic",
}
# Sent instead of nothing when a custom server URL is given without a key: local servers
# (llama.cpp, vLLM, LM Studio) ignore it, and a provider's own key from the environment
# (OPENAI_API_KEY) is never sent to a server that isn't the provider's.
NO_KEY = "not-set"
# 4xx answers that are worth another try; the rest (bad key, unknown model) won't improve.
RETRYABLE_CLIENT_STATUS = {408, 409, 425, 429}

TokenFn = Callable[[str], None]


def provider_of(spec: str) -> str | None:
    """'openai' for 'openai:gpt-4o-mini'; None for a bare name (LangChain may infer it)."""
    prefix, colon, _ = spec.partition(":")
    return prefix.strip().lower() if colon and prefix.strip() else None


def install_hint(provider: str | None, error: ImportError | None = None) -> str:
    """The pip command that brings a provider's integration package."""
    package = _missing_package(error) if error is not None else None
    extra = PROVIDER_EXTRAS.get(provider or "") or PACKAGE_EXTRAS.get(package or "")
    if extra:
        return f"pip install 'newsbot[{extra}]'"
    if package:
        return f"pip install {package}"
    return f"pip install langchain-{(provider or 'PROVIDER').replace('_', '-')}"


def _missing_package(error: ImportError) -> str | None:
    # LangChain says "Initializing ChatOpenAI requires the langchain-openai package."
    match = re.search(r"requires the ([\w.-]+) package", str(error))
    return match.group(1) if match else None


def build_chat_model(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: SecretStr | str | None = None,
    timeout: float = 60.0,
) -> BaseChatModel:
    """The chat model named by `spec`, talking to `base_url` when given.

    Provider clients get `max_retries=0`: ChatLLM retries itself, within the question's
    deadline, so the client's own retries can't stretch a question past it.
    """
    provider = provider_of(spec)
    kwargs = _provider_kwargs(provider, base_url, _secret(api_key), timeout)
    from langchain.chat_models import init_chat_model

    # LangChain knows providers by their lower-case names only ("Ollama:llama3.1" works too).
    model_spec = f"{provider}:{spec.partition(':')[2]}" if provider else spec
    try:
        model = init_chat_model(model_spec, **kwargs)
    except ImportError as exc:
        raise ConfigError(
            f"the model {spec!r} needs a LangChain integration that is not installed: "
            f"{install_hint(provider, exc)}"
        ) from exc
    except Exception as exc:  # unknown provider, or the provider refused its settings
        raise ConfigError(_setup_problem(spec, provider, exc)) from exc
    log.debug("chat model %s (%s) at %s", spec, type(model).__name__, base_url or "default URL")
    return model


def _setup_problem(spec: str, provider: str | None, exc: Exception) -> str:
    message = str(exc)
    known = re.search(r"Supported providers:\s*([^\n]+)", message)
    providers = f"; known providers: {known.group(1).strip()}" if known else ""
    if "infer model provider" in message:
        if provider is not None:  # "bogus:foo": the prefix is not a provider LangChain knows
            return f"cannot set up the model {spec!r}: unknown provider {provider!r}{providers}"
        return (
            f"cannot set up the model {spec!r}: no provider given, and LangChain can't tell "
            "it from the name (write it as PROVIDER:MODEL, e.g. openai:gpt-4o-mini or "
            f"ollama:llama3.1){providers}"
        )
    hint = ""
    if "api_key" in message.lower() or "credential" in message.lower():
        hint = " (set NEWSBOT_LLM_API_KEY or --llm-api-key)"
    return f"cannot set up the model {spec!r}: {_first_line(exc)}{hint}"


def _secret(key: SecretStr | str | None) -> str | None:
    if key is None:
        return None
    return key if isinstance(key, str) else key.get_secret_value()


def _provider_kwargs(
    provider: str | None, base_url: str | None, api_key: str | None, timeout: float
) -> dict[str, Any]:
    if provider == "ollama":
        # ChatOllama hands client_kwargs to its httpx client; a key goes in as a bearer token
        # (Ollama behind an authenticating proxy, or ollama.com).
        client: dict[str, Any] = {"timeout": timeout}
        if api_key:
            client["headers"] = {"Authorization": f"Bearer {api_key}"}
        return (
            {"base_url": base_url, "client_kwargs": client}
            if base_url
            else {"client_kwargs": client}
        )
    kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": 0}
    if base_url:
        kwargs["base_url"] = base_url
        kwargs["api_key"] = api_key or NO_KEY
    elif api_key:
        kwargs["api_key"] = api_key
    return kwargs


def model_label(model: BaseChatModel) -> str:
    """A name for an injected model: its provider type and model name."""
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    kind = getattr(model, "_llm_type", type(model).__name__)
    return f"{kind}:{name}" if isinstance(name, str) and name else str(kind)


class EmptyResponse(Exception):
    """The model answered with no text."""


class ChatLLM:
    """A chat model called with a deadline, bounded retries and exponential backoff.

    Deadlines are values of `clock` (monotonic seconds) and pauses between tries go through
    `sleep`; tests pass a fake clock to assert waits exactly.
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        name: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.name = name or model_label(model)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.clock = clock
        self._sleep = sleep

    def deadline(self) -> float:
        """A `clock()` value `timeout` seconds from now."""
        return self.clock() + self.timeout

    def complete(self, messages: Sequence[BaseMessage], *, deadline: float | None = None) -> str:
        return self.stream(messages, deadline=deadline)

    def stream(
        self,
        messages: Sequence[BaseMessage],
        on_token: TokenFn | None = None,
        *,
        deadline: float | None = None,
    ) -> str:
        """The model's whole answer; each piece goes to `on_token` as it arrives.

        Raises ModelError when no usable answer came before the deadline. A call is retried
        only while nothing has been passed to `on_token`: text the user has already seen
        can't be taken back, so a failure mid-stream is final.
        """
        deadline = self.deadline() if deadline is None else deadline
        tries = 0
        while True:
            tries += 1
            streamed: list[str] = []
            try:
                text = self._attempt(messages, deadline, on_token, streamed)
                if not text.strip():
                    raise EmptyResponse()
                return text
            except Exception as exc:
                reason = describe(exc)
                log.info("model %s, try %d: %s", self.name, tries, reason)
                log.debug("model failure", exc_info=exc)
                if streamed or tries > self.retries or not retryable(exc):
                    raise ModelError(_after(reason, tries)) from exc
                pause = min(max(self.backoff * 2 ** (tries - 1), retry_after(exc)), 30.0)
                if self.clock() + pause >= deadline:
                    raise ModelError(_after(reason, tries)) from exc
                self._sleep(pause)

    def _attempt(
        self,
        messages: Sequence[BaseMessage],
        deadline: float,
        on_token: TokenFn | None,
        streamed: list[str],
    ) -> str:
        # The worker only produces; tokens reach on_token on the caller's thread, so a
        # REPL prints from its own thread and an abandoned worker can't print late.
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for chunk in self.model.stream(list(messages)):
                    if stop.is_set():
                        return
                    pieces.put(("token", chunk.text))
                pieces.put(("done", None))
            except BaseException as exc:  # handed to the caller, which decides
                pieces.put(("error", exc))

        threading.Thread(target=work, name="newsbot-llm", daemon=True).start()
        parts: list[str] = []
        try:
            while True:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise TimeoutError("no answer within the time limit")
                try:
                    kind, value = pieces.get(timeout=remaining)
                except queue.Empty:
                    raise TimeoutError("no answer within the time limit") from None
                if kind == "done":
                    return "".join(parts)
                if kind == "error":
                    raise value
                if value:
                    parts.append(value)
                    if on_token is not None:
                        # Leading blank lines would print as an empty gap before the answer.
                        token = value if "".join(parts[:-1]).strip() else value.lstrip()
                        if token:
                            streamed.append(token)
                            on_token(token)
        finally:
            stop.set()


def _after(reason: str, tries: int) -> str:
    return f"{reason} after {tries} tries" if tries > 1 else reason


def status_code(exc: BaseException) -> int | None:
    """The HTTP status of a provider's error (openai, anthropic, ollama, httpx all carry one)."""
    for e in _chain(exc):
        code = getattr(e, "status_code", None)
        if isinstance(code, int):
            return code
        response = getattr(e, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, ConfigError | ImportError):
        return False
    code = status_code(exc)
    if code is not None and 400 <= code < 500:
        return code in RETRYABLE_CLIENT_STATUS
    # Timeouts, refused or dropped connections, 5xx, empty or garbled answers.
    return True


def retry_after(exc: BaseException) -> float:
    """Seconds a 429/503 answer asked us to wait (Retry-After), or 0.

    A header that is neither seconds nor an HTTP date ("soon") counts as absent: the usual
    backoff applies, and a server's typo can't crash the question.
    """
    for e in _chain(exc):
        headers = getattr(getattr(e, "response", None), "headers", None)
        value = headers.get("retry-after") if headers is not None else None
        if not value:
            continue
        return _seconds_from(str(value))
    return 0.0


def _seconds_from(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            log.debug("unreadable Retry-After %r: ignored", value)
            return 0.0
    return max(seconds, 0.0) if math.isfinite(seconds) else 0.0


def describe(exc: BaseException) -> str:
    """A short phrase for the user's note: 'HTTP 503', 'timed out', 'connection refused'."""
    code = status_code(exc)
    if code is not None:
        return f"HTTP {code}"
    if isinstance(exc, EmptyResponse):
        return "empty response"
    if "no generation chunks" in str(exc).lower():
        # LangChain's word for a stream that held no event at all: a body that isn't the
        # protocol (an empty answer still streams chunks, with empty text).
        return "malformed response"
    names = {type(e).__name__ for e in _chain(exc)} | {
        t.__name__ for e in _chain(exc) for t in type(e).__mro__
    }
    if names & {"TimeoutError", "APITimeoutError", "TimeoutException", "ReadTimeout"}:
        return "timed out"
    if names & {"ConnectionRefusedError", "ConnectError"}:
        return "connection refused"
    if names & {"APIConnectionError", "ConnectionError", "RemoteProtocolError", "NetworkError"}:
        return "connection failed"
    if names & {"JSONDecodeError", "APIResponseValidationError", "ValidationError", "KeyError"}:
        return "malformed response"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
