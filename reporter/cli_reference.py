"""docs/cli.md, written from the commands' own --help so that the reference cannot drift.

Run ``python -m reporter.cli_reference > docs/cli.md`` after changing a command; a test fails
while the file and the help disagree.
"""

from __future__ import annotations

from .cli import cli


def render() -> str:
    sections = [
        "# Command reference\n",
        "Generated from `p402-monitor COMMAND --help` by `python -m reporter.cli_reference`.\n",
    ]
    root = cli.make_context("p402-monitor", [], resilient_parsing=True)
    sections.append(f"## p402-monitor\n\n```text\n{cli.get_help(root)}\n```\n")
    for name in sorted(cli.commands):
        command = cli.commands[name]
        context = command.make_context(name, [], parent=root, resilient_parsing=True)
        sections.append(f"## p402-monitor {name}\n\n```text\n{command.get_help(context)}\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":
    print(render(), end="")
