"""Read gettext `.po` catalogues and write the compiled `.mo` form, with the standard library only.

The wheel's build hook compiles every catalogue with this module, so users never run `msgfmt`; a
source checkout, which has no compiled files, compiles a catalogue in memory when it is first used.
Fuzzy and untranslated entries are left out, as `msgfmt` leaves them out: the English text shows.
"""

from __future__ import annotations

import ast
import struct
from pathlib import Path


class CatalogueError(ValueError):
    """A `.po` file that cannot be read; the message names the file and line."""


def _unquote(token: str, where: str) -> str:
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise CatalogueError(f"{where}: expected a quoted string")
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError) as exc:
        raise CatalogueError(f"{where}: bad string: {exc}") from None
    if not isinstance(value, str):
        raise CatalogueError(f"{where}: expected a quoted string")
    return value


def parse_po(text: str, name: str = "catalogue") -> list[dict[str, object]]:
    """The entries of a `.po` file: dicts with msgid, msgid_plural, msgstr (list) and fuzzy."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    field: str | None = None
    index = 0

    def finish() -> None:
        nonlocal entry, field
        if "msgid" in entry:
            entries.append(entry)
        entry, field = {}, None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"{name}:{number}"
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        starts_entry = line.startswith("#") or keyword in ("msgctxt", "msgid")
        if starts_entry and "msgstr" in entry:
            finish()
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            continue
        if keyword.startswith('"'):
            if field is None:
                raise CatalogueError(f"{where}: a string with no keyword before it")
            value = _unquote(line, where)
            if field == "msgstr":
                strings = entry["msgstr"]
                assert isinstance(strings, list)
                strings[index] += value
            else:
                entry[field] = str(entry[field]) + value
            continue
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            entry[keyword], field = _unquote(rest, where), keyword
        elif keyword == "msgstr" or (keyword.startswith("msgstr[") and keyword.endswith("]")):
            digits = keyword[7:-1]
            if keyword != "msgstr" and not (digits.isascii() and digits.isdigit()):
                raise CatalogueError(f"{where}: bad plural index {keyword!r}")
            index = 0 if keyword == "msgstr" else int(digits)
            strings = entry.setdefault("msgstr", [])
            assert isinstance(strings, list)
            while len(strings) <= index:
                strings.append("")
            strings[index] = _unquote(rest, where)
            field = "msgstr"
        else:
            raise CatalogueError(f"{where}: unknown keyword {keyword!r}")
    finish()
    return entries


def compile_po(text: str, name: str = "catalogue") -> bytes:
    """The `.mo` bytes of a `.po` text: its header and every translated, non-fuzzy entry."""
    pairs: dict[bytes, bytes] = {}
    for entry in parse_po(text, name):
        msgid = str(entry["msgid"])
        strings = [str(s) for s in entry.get("msgstr", [])]  # type: ignore[attr-defined]
        if entry.get("fuzzy") and msgid:
            continue
        if not strings or not any(strings) or (entry.get("msgid_plural") and not all(strings)):
            continue
        key = msgid
        if "msgid_plural" in entry:
            key += "\0" + str(entry["msgid_plural"])
        if "msgctxt" in entry:
            key = str(entry["msgctxt"]) + "\x04" + key
        pairs[key.encode()] = "\0".join(strings).encode()
    keys = sorted(pairs)
    count = len(keys)
    ids = b""
    strs = b""
    offsets: list[tuple[int, int, int, int]] = []
    for encoded in keys:
        value = pairs[encoded]
        offsets.append((len(ids), len(encoded), len(strs), len(value)))
        ids += encoded + b"\0"
        strs += value + b"\0"
    head = 7 * 4
    key_table = head
    value_table = key_table + count * 8
    ids_start = value_table + count * 8
    strs_start = ids_start + len(ids)
    table_keys: list[int] = []
    table_values: list[int] = []
    for id_at, id_len, str_at, str_len in offsets:
        table_keys += [id_len, ids_start + id_at]
        table_values += [str_len, strs_start + str_at]
    return (
        struct.pack("<7I", 0x950412DE, 0, count, key_table, value_table, 0, 0)
        + struct.pack(f"<{len(table_keys)}I", *table_keys)
        + struct.pack(f"<{len(table_values)}I", *table_values)
        + ids
        + strs
    )


def compile_file(po: Path, mo: Path) -> None:
    """Compile one `.po` file into a `.mo` file beside or elsewhere."""
    mo.parent.mkdir(parents=True, exist_ok=True)
    mo.write_bytes(compile_po(po.read_text(encoding="utf-8"), str(po)))
