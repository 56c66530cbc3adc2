"""The fake Slack refuses what Slack refuses, so the tests that pass through it mean something."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack.fake_slack import BOT_TOKEN, FakeSlack, block_errors


def section(chars: int) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * chars}}


def test_block_limits() -> None:
    assert block_errors({"text": "ok", "blocks": [section(3000)] * 13}) is None
    assert block_errors({"text": "ok", "blocks": [section(10)] * 51}) == "invalid_blocks"
    assert block_errors({"text": "ok", "blocks": [section(3001)]}) == "invalid_blocks"
    assert block_errors({"text": "ok", "blocks": [section(3000)] * 14}) == "msg_too_long"
    assert block_errors({"text": "x" * 40_001}) == "msg_too_long"
    assert block_errors({"text": "", "blocks": []}) == "no_text"
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "a"}] * 11}
    assert block_errors({"text": "ok", "blocks": [context]}) == "invalid_blocks"


def test_the_wire_refuses_bad_tokens_and_oversized_messages() -> None:
    with FakeSlack() as fake:
        client = WebClient(token=BOT_TOKEN, base_url=fake.api_url, retry_handlers=[])
        assert client.auth_test()["user_id"] == "UBOT"
        with pytest.raises(SlackApiError) as oversized:
            client.chat_postMessage(channel="C1", text="x", blocks=[section(3001)])
        assert oversized.value.response["error"] == "invalid_blocks"
        wrong = WebClient(token="xoxb-wrong", base_url=fake.api_url, retry_handlers=[])
        with pytest.raises(SlackApiError) as refused:
            wrong.auth_test()
        assert refused.value.response["error"] == "invalid_auth"
        fake.rate_limit("auth.test", retry_after=7)
        with pytest.raises(SlackApiError) as limited:
            client.auth_test()
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
