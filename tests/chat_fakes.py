"""A scripted chat model for unit tests: each call takes the next step of a script.

LangChain's own fakes (GenericFakeChatModel, FakeListChatModel) cover plain answers; this one
also raises provider-style errors (with an HTTP status), stalls, and answers from the
prompt it was given (a "gullible" model that obeys whatever instructions it reads).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field


class StatusError(Exception):
    """What provider clients raise for an HTTP error: the status and the response headers."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"Error code: {status}")
        self.status_code = status
        self.response = type("Response", (), {"status_code": status, "headers": headers or {}})()


class Stall:
    """A step that blocks until released (or for `seconds`), like a server that never answers."""

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds
        self.released = threading.Event()


class FailAfter:
    """Streams `text`, then raises `error`: a connection that dies mid-answer."""

    def __init__(self, text: str, error: Exception) -> None:
        self.text = text
        self.error = error


Step = str | Exception | Stall | FailAfter | Callable[[Sequence[BaseMessage]], str]


class ScriptedChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    model_name: str = "scripted"
    token_delay: float = 0.0
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _next(self, messages: Sequence[BaseMessage]) -> Any:
        self.calls.append(list(messages))
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, Stall):
            step.released.wait(step.seconds)
            return ""
        if callable(step) and not isinstance(step, str | FailAfter):
            return step(messages)
        return step

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        step = self._next(messages)
        text, error = (step.text, step.error) if isinstance(step, FailAfter) else (step, None)
        # An empty answer still streams a chunk, with no text, as servers do; a stream with no
        # chunk at all is what a garbled body looks like.
        for piece in re.findall(r"\S+\s*|\s+", text) or ([""] if error is None else []):
            time.sleep(self.token_delay)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        if error is not None:
            raise error

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
