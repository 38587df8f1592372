"""The one translation function every learner-facing text goes through, and the language in force.

The language is, in order: `--lang CODE` (any command), `EXPOSURE_LANG`, the usual locale variables
(`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`), then English. Catalogues live in
`simulator/locale/CODE/LC_MESSAGES/exposure.po`; the wheel ships them compiled (`.mo`), and a source
checkout compiles one in memory the first time it is needed.

Two things a catalogue alone cannot do are done here, after a message's placeholders are filled:
Korean particles that depend on the word before them (a translation writes `은(는)` after a
placeholder, and the filled text gets `은` or `는`), and Persian digits and separators in numbers.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

DOMAIN = "exposure"
ENGLISH = "en"
# Every language the program speaks, by its code, in its own name.
LANGUAGES = {"en": "English", "ko": "한국어", "fa": "فارسی"}
RIGHT_TO_LEFT = frozenset({"fa"})
_chosen: str | None = None


class LanguageError(ValueError):
    """A language asked for by name (--lang, EXPOSURE_LANG) that the program does not speak."""


def known(code: str) -> str:
    """The language code for what a user typed ('ko', 'ko_KR.UTF-8', 'FA'), or LanguageError."""
    base = code.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").split("_", 1)[0]
    base = base.lower()
    if base in LANGUAGES:
        return base
    listed = ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items())
    raise LanguageError(f"no language `{code}`; Exposure speaks {listed}")


def environment_problem() -> str | None:
    """Why EXPOSURE_LANG cannot be used (the program then speaks as if it were not set), or None."""
    chosen = os.environ.get("EXPOSURE_LANG", "").strip()
    try:
        _ = chosen and known(chosen)
    except LanguageError as exc:
        return f"EXPOSURE_LANG: {exc}"
    return None


def _from_environment() -> str:
    chosen = os.environ.get("EXPOSURE_LANG", "").strip()
    if chosen and environment_problem() is None:
        return known(chosen)
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "").strip()
        if not value:
            continue
        for item in value.split(":"):  # LANGUAGE may list several: "ko:en"
            try:
                return known(item)
            except LanguageError:
                continue
        if variable != "LANGUAGE":
            return ENGLISH  # the first locale variable that is set decides, as in gettext
    return ENGLISH


def choose(code: str | None) -> str:
    """Speak this language from now on (None: read the environment again); returns its code."""
    global _chosen
    _chosen = None if code is None else known(code)
    return language()


@contextmanager
def speaking() -> Iterator[None]:
    """A block after which the language is again the one before it (a command's --lang ends)."""
    global _chosen
    before = _chosen
    try:
        yield
    finally:
        _chosen = before


def language() -> str:
    """The code of the language in force: 'en', 'ko', 'fa'."""
    global _chosen
    if _chosen is None:
        _chosen = _from_environment()
    return _chosen


def in_language(value: Any, base: str = ENGLISH) -> str:
    """A text as the reader gets it: plain text as it is; of a mapping by language, the language
    in force, else the scenario's own (`base`), else English, else the first given."""
    if not isinstance(value, dict):
        return str(value)
    for code in (language(), base, ENGLISH):
        if isinstance(value.get(code), str):
            return str(value[code])
    return str(next(iter(value.values()), ""))


def right_to_left() -> bool:
    """Whether the language in force is written right to left."""
    return language() in RIGHT_TO_LEFT


@cache
def _translations(code: str) -> _gettext.NullTranslations:
    """The catalogue of one language: compiled if shipped, else compiled now from its `.po`."""
    if code == ENGLISH:
        return _gettext.NullTranslations()
    folder = resources.files("simulator") / "locale" / code / "LC_MESSAGES"
    compiled = folder / f"{DOMAIN}.mo"
    if compiled.is_file():
        return _gettext.GNUTranslations(io.BytesIO(compiled.read_bytes()))
    source = folder / f"{DOMAIN}.po"
    if source.is_file():
        from simulator.po import compile_po

        data = compile_po(source.read_text(encoding="utf-8"), f"{code}/{DOMAIN}.po")
        return _gettext.GNUTranslations(io.BytesIO(data))
    return _gettext.NullTranslations()


def _(message: str) -> str:
    """Translate one learner-facing message."""
    return _localised(_translations(language()).gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count."""
    return _localised(_translations(language()).ngettext(singular, plural, n))


def _localised(text: str) -> str:
    code = language()
    if code == ENGLISH:
        return text
    return Message(_with_literal_numerals(code, text) if code == "fa" else text)


@cache
def _with_literal_numerals(code: str, text: str) -> str:
    """A translated message with the numbers written in it localised, once per message."""
    return _LITERAL.sub(lambda m: m.group() if m.group()[0] in "{`" else numerals(m.group()), text)


def _literal_numerals(match: re.Match[str]) -> str:
    piece = match.group()
    return piece if piece[0] in "{`" else numerals(piece)


# In a message, numbers written as text are localised; placeholders ({p:.0%}) and code (`--seed 1`)
# are not.
_LITERAL = re.compile(r"\{[^{}]*\}|`[^`]*`|[^{`]+")


class _Filler(string.Formatter):
    """Fills placeholders as str.format does, with numbers in the language's digits."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return numerals(text)
        if isinstance(value, str):
            return written_number(text)  # a number the caller wrote out: "1,999", "<1%", "−13"
        return text


class Message(str):
    """A translated message: `format` fills it, then settles the language's particles."""

    def format(self, *args: Any, **kwargs: Any) -> str:
        return finish(_Filler().vformat(str(self), args, kwargs))

    def format_map(self, mapping: Any) -> str:
        return finish(_Filler().vformat(str(self), (), mapping))


# Persian: digits, the decimal and thousands separators, and the percent sign.
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_NUMBER = re.compile(r"\d[\d,.]*%?")
_WRITTEN_NUMBER = re.compile(r"[<>≈~]?[−+-]?\d[\d,.]*%?")


def _persian_number(match: re.Match[str]) -> str:
    text = match.group()
    text = re.sub(r"(?<=\d),(?=\d)", "٬", text)
    text = re.sub(r"(?<=\d)\.(?=\d)", "٫", text)
    return text.replace("%", "٪").translate(_PERSIAN)


def written_number(text: str) -> str:
    """A text that is one number written out ("1,999", "−13", "<1%") in the language's digits;
    any other text as it is."""
    return numerals(text) if _WRITTEN_NUMBER.fullmatch(text) else text


def numerals(text: str) -> str:
    """Numbers as the language in force writes them: '62%' stays in English and Korean, '۶۲٪' in
    Persian. Only numbers are touched (runs of digits with their separators and percent sign)."""
    if language() != "fa":
        return text
    return _NUMBER.sub(_persian_number, text)


# Korean particles whose form follows the last sound of the word before them. A translation writes
# both forms, as Korean software does ("{role}은(는)"); `finish` keeps the one that fits.
_PARTICLES = {
    "은(는)": ("은", "는"),
    "이(가)": ("이", "가"),
    "을(를)": ("을", "를"),
    "과(와)": ("과", "와"),
    "아(야)": ("아", "야"),
    "(이)나": ("이나", "나"),
    "(이)라는": ("이라는", "라는"),
    "(이)며": ("이며", "며"),
    "(으)로": ("으로", "로"),
}
_PARTICLE = re.compile("|".join(re.escape(p) for p in _PARTICLES))
# How digits and Latin letters end when read aloud in Korean: 0 영, 1 일, 3 삼, 6 육, 7 칠, 8 팔, 10
# 십 end in a consonant (ㄹ for 1, 7 and 8); 2 이, 4 사, 5 오, 9 구 do not.
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ"}
_DIGIT_FINAL |= {"8": "ㄹ", "9": ""}
_LATIN_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "g": "ㅇ", "k": "ㄱ", "p": "ㅂ", "t": "ㅅ"}
_CLOSING = {")": "(", "]": "[", "”": "“", "’": "‘", "»": "«", '"': '"', "'": "'", "`": "`"}


def _final_sound(before: str) -> str | None:
    """The last consonant heard at the end of `before` ('' for none), or None when unknown."""
    text = before.rstrip()
    while text and text[-1] in _CLOSING:
        closing = text[-1]
        if closing in ")]":  # a parenthesis is read past: "62%(55–69%)" ends in "%"
            depth = text.rfind(_CLOSING[closing])
            if depth < 0:
                return None
            text = text[:depth].rstrip()
        else:
            text = text[:-1]
    if not text:
        return None
    last = text[-1]
    if "가" <= last <= "힣":
        jong = (ord(last) - ord("가")) % 28
        return "" if jong == 0 else ("ㄹ" if jong == 8 else "ㄱ")
    if last == "%":
        return ""  # 퍼센트
    if last.isdigit() and last.isascii():
        digits = text[len(text.rstrip("0123456789")) :]
        if len(digits) > 1 and digits.endswith("0"):
            return "ㅂ"  # 십, 백 (ㄱ), 천 (ㄴ), 만 (ㄴ): all take the consonant form
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        return _LATIN_FINAL.get(last.lower(), "")
    return None


def _settle(text: str) -> str:
    def pick(match: re.Match[str]) -> str:
        with_consonant, with_vowel = _PARTICLES[match.group()]
        final = _final_sound(text[: match.start()])
        if final is None:
            return match.group()
        if match.group() == "(으)로":
            return with_vowel if final in ("", "ㄹ") else with_consonant
        return with_vowel if final == "" else with_consonant

    return _PARTICLE.sub(pick, text)


# Persian commas and semicolons where the text before them is not Latin ("1,999" keeps its comma).
_PERSIAN_PUNCTUATION = re.compile(r"(?<![A-Za-z0-9])([,;])(?= )")


def finish(text: str) -> str:
    """Text in the language in force, as it is printed: Korean particles settled, Persian commas
    and semicolons. Idempotent: applying it to finished text changes nothing."""
    if language() == "ko" and "(" in text:
        return _settle(text)
    if language() == "fa":
        return _PERSIAN_PUNCTUATION.sub(lambda m: "،" if m.group() == "," else "؛", text)
    return text
