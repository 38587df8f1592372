"""Every learner-facing message goes through `_` and is in the translation template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _messages_in_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "simulator").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "ngettext")
            ):
                for arg in node.args[: 2 if node.func.id == "ngettext" else 1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def _messages_in_template() -> set[str]:
    text = (ROOT / "simulator" / "locale" / "exposure.pot").read_text(encoding="utf-8")
    out = set()
    for block in re.findall(r'^msgid(?:_plural)? ((?:"(?:[^"\\]|\\.)*"\n?)+)', text, flags=re.M):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
        out.add(
            "".join(parts)
            .encode("utf-8")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )
    out.discard("")
    return out


def test_every_message_is_in_the_template():
    missing = _messages_in_code() - _messages_in_template()
    assert not missing, (
        f"regenerate simulator/locale/exposure.pot (docs/translating.md): {sorted(missing)[:5]}"
    )


def test_translation_function_falls_back_to_english(monkeypatch):
    from simulator import i18n

    i18n._translations.cache_clear()
    monkeypatch.setenv("LANGUAGE", "xx")
    assert i18n._("a year") == "a year"
    i18n._translations.cache_clear()
