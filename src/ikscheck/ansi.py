"""Terminal escape sequences: the one place that knows how to take them out of text.

``ibmcloud`` colours its output when it thinks it talks to a terminal (and sometimes when it
does not), even around ``--output json``, so every parser of command output strips them first,
and every message quoting a command's output shows it without them.
"""

from __future__ import annotations

import re

__all__ = ["ANSI_RE", "CSI", "printable", "strip_ansi"]

#: A CSI sequence (colours, bold, cursor movement), as a pattern to build others from: the
#: redactor allows colour codes between a key and its value.
CSI = r"\x1b\[[0-?]*[ -/]*[@-~]"
ANSI_RE = re.compile(
    CSI  # CSI: colours, bold, cursor movement
    + r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, hyperlinks
    + r"|\x1b[@-_]"  # the remaining two-byte escapes
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour and other terminal escape sequences.

    >>> strip_ansi("\\x1b[1;32mOK\\x1b[0m")
    'OK'
    """
    return ANSI_RE.sub("", text)


def printable(text: str) -> str:
    """``text`` without escape sequences and control characters, fit for a one-line message.

    >>> printable("\\x1b[31mFAILED\\x1b[0m\\x07 no such plug-in")
    'FAILED no such plug-in'
    """
    return _CONTROL_RE.sub("", strip_ansi(text))
