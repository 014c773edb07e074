"""ikscheck.ansi: the one stripper of terminal escape sequences."""

from __future__ import annotations

from ikscheck.ansi import ANSI_RE, printable, strip_ansi

BOLD, GREEN, RESET = "\x1b[1m", "\x1b[32m", "\x1b[0m"


def test_strip_ansi_removes_colour_bold_and_osc_sequences() -> None:
    text = f"{BOLD}OK{RESET} {GREEN}done{RESET}\x1b]0;title\x07 \x1b[38;5;208mx\x1b[K"
    assert strip_ansi(text) == "OK done x"
    assert ANSI_RE.search(strip_ansi(text)) is None


def test_strip_ansi_leaves_plain_text_alone() -> None:
    text = 'Plugin Name   Version\n[{"Name": "ks[x]"}]\r\n'
    assert strip_ansi(text) == text


def test_printable_also_drops_control_characters_but_keeps_line_breaks() -> None:
    assert printable(f"{GREEN}FAILED{RESET}\x07\x00 plug-in\nnext") == "FAILED plug-in\nnext"
