"""The Slack app manifests declare what the bot uses."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.slack import EVENTS_PATH
from tests.conftest import ROOT

# Web API methods the bot calls (see the fake Slack's recorded calls) -> the scopes they need.
METHOD_SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "reactions.add": {"reactions:write"},
    "reactions.remove": {"reactions:write"},
    "conversations.replies": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "conversations.history": {"im:history"},
}


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "slack" / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["manifest.yml", "manifest-http.yml"])
def test_manifest_declares_scopes_events_command_and_interactivity(name: str) -> None:
    manifest = load(name)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    for method, needed in METHOD_SCOPES.items():
        assert needed <= scopes, f"{name}: {method} needs {needed - scopes}"
    assert {"app_mentions:read", "commands"} <= scopes
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/ask"
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


def test_socket_mode_manifest_needs_no_url() -> None:
    manifest = load("manifest.yml")
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_http_manifest_sends_everything_to_the_events_path() -> None:
    manifest = load("manifest-http.yml")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = {
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert len(urls) == 1 and urls.pop().endswith(EVENTS_PATH)


def test_manifests_differ_only_in_the_mode() -> None:
    socket, http = load("manifest.yml"), load("manifest-http.yml")
    assert socket["oauth_config"] == http["oauth_config"]
    assert socket["display_information"] == http["display_information"]
    assert (
        socket["settings"]["event_subscriptions"]["bot_events"]
        == (http["settings"]["event_subscriptions"]["bot_events"])
    )
