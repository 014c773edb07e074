"""The remediation plan as POSIX shell: ``--plan-script PATH``, and the HTML report's block.

The script is written, never run, by ikscheck: ``#!/bin/sh``, ``set -eu``, then one block a
step, in the plan's order, with a comment naming what it fixes. A step a person must take is
commented out with its instruction, so that the script stops at nothing it cannot do and a
reader sees every step in its place. Commands are the remediations as the checks wrote them,
names shell-quoted; a remark in parentheses after a command becomes a comment. Every comment is
one line: line breaks and other control characters in names are shown as ``\\xNN`` escapes. The
script passes ``sh -n`` and shellcheck.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ikscheck.plan import Step, command_of

#: Before a command whose quoted names hold ``$`` or a backquote: shellcheck's note that they
#: do not expand (SC2016) is what the quoting is for.
LITERAL = "# shellcheck disable=SC2016  # names are quoted to be taken literally"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    r"""``text`` safe to stand in a ``#`` comment: control characters as escapes.

    >>> _one_line("a\nb")
    'a\\x0ab'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def block(steps: Sequence[Step]) -> str:
    """The steps as shell: each a comment naming what it fixes, then its command, or the
    instruction commented out. Empty plan: a comment saying so.

    >>> print(block([Step("ibmcloud ks cluster config --cluster c1", ("KCFG-004[c1]",), ("c1",))]))
    # Step 1 of 1: fixes KCFG-004[c1]
    ibmcloud ks cluster config --cluster c1
    <BLANKLINE>
    """
    if not steps:
        return "# Nothing to fix: the plan is empty.\n"
    parts = []
    for number, step in enumerate(steps, 1):
        head = f"# Step {number} of {len(steps)}"
        found = None if step.needs_person else command_of(step.command)
        if found is None:
            lines = [f"{head}, by hand: fixes {_one_line(', '.join(step.fixes))}"]
            lines += [f"#   {_one_line(step.command)}"]
        else:
            command, note = found
            lines = [f"{head}: fixes {_one_line(', '.join(step.fixes))}"]
            lines += [f"#   ({_one_line(note)})"] if note else []
            if "$" in command or "`" in command:  # in a quoted name: literal, as meant
                lines.append(LITERAL)
            lines.append(command)
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def script(steps: Sequence[Step], version: str = "", evaluated_at: str = "") -> str:
    """The plan as a POSIX shell script (see the module's docstring)."""
    made = f"of ikscheck {version}".strip() + (
        f", evaluated at {evaluated_at}" if evaluated_at else ""
    )
    head = [
        "#!/bin/sh",
        f"# The remediation plan {_one_line(made)}.",
        "# The root causes, in the order to fix them.",
        "# ikscheck wrote this script and never runs it: read it, then run it with sh.",
        "# Steps a person must take are commented out: do them by hand, in their place.",
        "set -eu",
        "",
    ]
    return "\n".join(head) + "\n" + block(steps)


def write_script(
    steps: Sequence[Step],
    path: str | os.PathLike[str],
    version: str = "",
    evaluated_at: str = "",
) -> Path:
    """Write the plan script to ``path`` (creating its folder), executable by its owner."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script(steps, version, evaluated_at), encoding="utf-8")
    target.chmod(target.stat().st_mode | 0o100)
    return target
