"""newsbot: answers newsroom questions from the paper's own articles, with cited passages.

    >>> import bot
    >>> answer = bot.ask("Who is the coalition spokesman?")
    >>> answer.text, answer.citations[0].headline

Heavy libraries (torch, faiss, the model) load on the first question, not on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.records import Answer, Citation, RetrievedArticle

if TYPE_CHECKING:
    from bot.core import Newsbot

__all__ = ["Answer", "Citation", "RetrievedArticle", "ask"]

_default: Newsbot | None = None


def ask(question: str, **options: Any) -> Answer:
    """Answer one question from the index configured by the environment (NEWSBOT_*)."""
    global _default
    if _default is None:
        from bot.config import Settings
        from bot.core import Newsbot

        _default = Newsbot(Settings())
    return _default.ask(question, **options)
