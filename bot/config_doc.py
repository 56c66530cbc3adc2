"""The configuration reference page (docs/configuration.md), generated from `Settings`, so
the page can't drift from the code: a test fails when they disagree.

    python -m bot.config_doc            # print the page
    python -m bot.config_doc --write    # rewrite docs/configuration.md
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from bot.config import Settings

PAGE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

INTRO = """\
# Configuration

<!-- Generated from bot/config.py by `python -m bot.config_doc --write`; edit the settings'
descriptions there, not this page (a test fails when the two disagree). -->

Settings come from `NEWSBOT_*` environment variables, or a `.env` file in the directory you
run newsbot from; command-line options win over both. A setting with an option column can
be given for one command (`newsbot ask --llm none ...`); `--index` works with every command,
before or after its name.

```sh
export NEWSBOT_TIMEZONE=Europe/London     # or put NEWSBOT_TIMEZONE=Europe/London in .env
newsbot ask "What happened yesterday?"
```

An invalid value stops the command with the variable's name and what is wrong with it
(`Error: invalid setting: NEWSBOT_TOP_K: Input should be less than or equal to 100`).
"""


def variables(name: str, field: FieldInfo) -> list[str]:
    """The environment variables of a setting, the one to use first."""
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:  # Slack's own names (SLACK_BOT_TOKEN) before the NEWSBOT_ ones
        return sorted((str(c) for c in choices), key=lambda c: c.startswith("NEWSBOT_"))
    return [f"NEWSBOT_{name.upper()}"]


def default_text(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, Path):
        try:
            return f"`~/{value.relative_to(Path.home())}`"
        except ValueError:
            return f"`{value}`"
    if isinstance(value, list | tuple):
        return f"`{','.join(map(str, value))}`" if value else "empty"
    return f"`{value}`"


def cli_options() -> dict[str, list[str]]:
    """Setting name -> the command-line options that set it (same parameter name)."""
    from typer.main import get_command

    from bot.cli import app

    found: dict[str, list[str]] = defaultdict(list)

    def walk(command: Any) -> None:
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if param.name in Settings.model_fields and flag not in found[param.name]:
                    found[param.name].append(flag)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(get_command(app))
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rows() -> Iterable[str]:
    options = cli_options()
    for name, field in Settings.model_fields.items():
        names = variables(name, field)
        variable = f"`{names[0]}`" + "".join(f" (also `{n}`)" for n in names[1:])
        option = ", ".join(f"`{flag}`" for flag in options.get(name, [])) or ""
        yield (
            f"| {variable} | {default_text(field)} | {option} | {_cell(field.description or '')} |"
        )


def page() -> str:
    table = [
        "| variable | default | option | meaning |",
        "|---|---|---|---|",
        *rows(),
    ]
    return INTRO + "\n" + "\n".join(table) + "\n"


def main(argv: list[str]) -> int:
    text = page()
    if argv == ["--write"]:
        PAGE.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE}", file=sys.stderr)
    elif not argv:
        sys.stdout.write(text)
    else:
        print("usage: python -m bot.config_doc [--write]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
