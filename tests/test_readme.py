"""The README documents what the code does: every command, and the two first commands."""

from __future__ import annotations

import re

from diarium.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_demo_and_test_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["./dev demo", "./dev test"]
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("./dev test")


def test_every_command_is_in_the_command_line_reference() -> None:
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    for name in main.commands:
        assert f"`diarium {name}" in section, f"diarium {name} is not in README's reference"
