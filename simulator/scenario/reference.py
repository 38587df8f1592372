"""The reference of the scenario format, read from the models themselves.

Every key is explained once, by its field's description in simulator/scenario/model.py. Its type
and range are read from the annotation and its constraints, so the reference says what validation
does; a description may end with `. Default: ...` to say in words what leaving the key out means
when the default value does not say it (`None` meaning "by kind" or "the name").

Two places show these explanations: `exposure new` writes `note()` above the first use of every
key, and docs/scenario-format.md carries the tables of `section_tables()` between generated
markers. Refresh the page with `python3 -m simulator.scenario.reference docs/scenario-format.md`;
a test keeps it in sync.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel, BeforeValidator, StringConstraints
from pydantic.fields import FieldInfo

from simulator.errors import ExitCode, UsageError
from simulator.files import write_atomic
from simulator.scenario.model import (
    INT_RANGE_BOUNDS,
    Name,
    Scenario,
    Text,
    _int_or_range,
    _one_or_more,
    one_language,
)

PAGE = "docs/scenario-format.md"
# The parts of a scenario with a block of tables on the page, in the page's order; `scenario` is
# the top of the file.
SECTIONS = (
    "scenario",
    "sources",
    "learning_objectives",
    "population",
    "contacts",
    "channels",
    "groups",
    "states",
    "activities",
    "observers",
    "checks",
    "campaigns",
    "standing",
    "adversary",
    "countermeasures",
    "exercise",
)
BEGIN = "<!-- BEGIN GENERATED: {section} -->"
END = "<!-- END GENERATED -->"
_BLOCK = re.compile(r"<!-- BEGIN GENERATED: ([a-z_]+) -->\n.*?<!-- END GENERATED -->", re.S)
_DEFAULT = ". Default: "
_CHOICE = re.compile(r"`[^`]+`((, | or )`[^`]+`)*")
REQUIRED = "required"
_NAME_RULE = get_args(Name)[1]
_TEXT_LENGTH = get_args(Text)[1].max_length


@dataclass(frozen=True)
class KeyReference:
    """One key of the format as a reader needs it: meaning, type and range, default."""

    key: str
    meaning: str
    kind: str
    default: str
    # Whether the value is a part of the format whose own keys are explained where they are written.
    has_keys: bool

    def note(self) -> str:
        """The explanation in one run of words, for a comment above the key."""
        if self.has_keys:
            # Its type and defaults are those of its own keys, each with its own comment.
            return f"{self.meaning} ({REQUIRED})" if self.default == REQUIRED else self.meaning
        default = self.default if self.default == REQUIRED else f"default: {self.default}"
        choices = re.findall(r"`[^`]+`", self.kind)
        if _CHOICE.fullmatch(self.kind) and all(c in self.meaning for c in choices):
            # The meaning already names every value the key takes.
            return f"{self.meaning} ({default})"
        return f"{self.meaning} ({self.kind}; {default})"


def _number(value: Any) -> str:
    """A bound as people write it: 3,650 and 0.5 (bounds are whole numbers or decimals)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{float(value):g}"


def _noun(singular: str, many: bool, plural: str | None = None) -> str:
    return (plural or f"{singular}s") if many else singular


def _bounds(meta: list[Any]) -> str:
    """A number's range in words: `, 1 to 3,650`, `, at least 0`, `, more than 0, at most 1,440`."""
    low = next((m for m in meta if isinstance(m, (Ge, Gt))), None)
    high = next((m for m in meta if isinstance(m, (Le, Lt))), None)
    parts: list[str] = []
    if isinstance(low, Ge) and isinstance(high, Le):
        return f", {_number(low.ge)} to {_number(high.le)}"
    if isinstance(low, Ge):
        parts.append(f"at least {_number(low.ge)}")
    elif isinstance(low, Gt):
        parts.append(f"more than {_number(low.gt)}")
    if isinstance(high, Le):
        parts.append(f"at most {_number(high.le)}")
    elif isinstance(high, Lt):
        parts.append(f"less than {_number(high.lt)}")
    return "".join(f", {p}" for p in parts)


def _count(meta: list[Any]) -> str:
    """How many items a list or mapping may hold, in words."""
    low = next((m.min_length for m in meta if isinstance(m, MinLen)), None)
    high = next((m.max_length for m in meta if isinstance(m, MaxLen)), None)
    if low is not None and high is not None:
        return f", {low} to {high}"
    if high is not None:
        return f", at most {high}"
    return f", at least {low}" if low is not None else ""


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def kind_of(tp: Any, meta: list[Any] | None = None, many: bool = False) -> str:
    """A type and its constraints in words: `whole number, 1 to 3,650`, `list of names`."""
    found = list(meta or [])
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        for item in extra:
            found.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    shorthand = {m.func for m in found if isinstance(m, BeforeValidator)}
    if _int_or_range in shorthand:
        low, high = INT_RANGE_BOUNDS
        return f"{_noun('whole number', many)} or range `[low, high]`, {low} to {high:,}"
    if _one_or_more in shorthand:
        return f"{_noun('name', many)} or list of names"
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        words: list[str] = []
        for alt in get_args(tp):
            if alt is type(None):
                continue
            inner = alt
            while get_origin(inner) is Annotated:
                inner = get_args(inner)[0]
            options = (
                [f"`{v}`" for v in get_args(inner)]
                if get_origin(inner) is Literal
                else [kind_of(alt, many=many)]
            )
            words += [w for w in options if w not in words]
        return _listed(words)
    if origin is Literal:
        return _listed([f"`{v}`" for v in get_args(tp)])
    if origin is list:
        return f"list of {kind_of(get_args(tp)[0], many=True)}{_count(found)}"
    if origin is dict:
        key, value = get_args(tp)
        return f"mapping of {kind_of(key, many=True)} to {kind_of(value, many=True)}{_count(found)}"
    if tp is bool:
        return "`true` or `false`"
    if tp is int:
        return _noun("whole number", many) + _bounds(found)
    if tp is float:
        least = next((m.ge for m in found if isinstance(m, Ge)), None)
        most = next((m.le for m in found if isinstance(m, Le)), None)
        if (least, most) == (0, 1):
            return _noun("probability", many, "probabilities") + ", 0 to 1"
        return _noun("number", many) + _bounds(found)
    if tp is str:
        rules = [m for m in found if isinstance(m, StringConstraints)]
        if _NAME_RULE in rules:
            return _noun("name", many)
        longest = min((r.max_length for r in rules if r.max_length is not None), default=None)
        translatable = any(getattr(m, "func", None) is one_language for m in found)
        more = " (or one per language)" if translatable else ""
        if longest in (None, _TEXT_LENGTH):
            return _noun("text", many) + more
        return f"{_noun('text', many)} of at most {longest:,} characters{more}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _noun("mapping", many)
    if tp is Any:
        return _noun("any value", many)
    raise TypeError(f"no words for the type {tp!r}")


def _default(info: FieldInfo) -> str:
    """A default value as a reader writes it."""
    value = info.default
    if value is None or value == [] or value == {}:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, BaseModel):
        return "the defaults of its keys"
    raise TypeError(f"no words for the default {value!r}")


def key_reference(model: type[BaseModel], field: str) -> KeyReference:
    """The reference of one field of a model, by its name in Python."""
    info = model.model_fields[field]
    if not info.description:
        raise ValueError(f"{model.__name__}.{field} has no description")
    meaning, _, default = info.description.partition(_DEFAULT)
    return KeyReference(
        key=info.alias or field,
        meaning=meaning,
        kind=kind_of(info.annotation, list(info.metadata)),
        default=REQUIRED if info.is_required() else default or _default(info),
        has_keys=bool(_models_in(info.annotation, "")),
    )


def references(model: type[BaseModel]) -> list[KeyReference]:
    """The reference of every key of a model, in the model's order."""
    return [key_reference(model, field) for field in model.model_fields]


def _models_in(tp: Any, path: str) -> list[tuple[type[BaseModel], str]]:
    """The models a type holds, each with its dotted path (NAME for a name, N for an index)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _models_in(get_args(tp)[0], path)
    if origin in (Union, types.UnionType):
        out: list[tuple[type[BaseModel], str]] = []
        for alt in get_args(tp):
            out += [(m, p) for m, p in _models_in(alt, path) if m not in (n for n, _ in out)]
        return out
    if origin is list:
        return _models_in(get_args(tp)[0], f"{path}.N")
    if origin is dict:
        return _models_in(get_args(tp)[1], f"{path}.NAME")
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [(tp, path)]
    return []


def section_models(section: str) -> dict[type[BaseModel], list[str]]:
    """The models of one section, outermost first, each with the paths where it is written."""
    if section == "scenario":
        return {Scenario: [""]}
    if section not in SECTIONS:
        raise ValueError(f"no section of the format is called `{section}`")
    found: dict[type[BaseModel], list[str]] = {}

    def visit(model: type[BaseModel], path: str) -> None:
        if model in found:
            found[model].append(path)
            return
        found[model] = [path]
        for field, info in model.model_fields.items():
            for child, where in _models_in(info.annotation, f"{path}.{info.alias or field}"):
                visit(child, where)

    for model, path in _models_in(Scenario.model_fields[section].annotation, section):
        visit(model, path)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section_tables(section: str) -> str:
    """The Markdown tables of one section: one per model, every key with its reference."""
    out: list[str] = []
    for model, paths in section_models(section).items():
        about = (model.__doc__ or "").strip().splitlines()[0].rstrip(".")
        about = about[:1].lower() + about[1:]
        where = (
            ", ".join(f"`{p}`" for p in dict.fromkeys(paths))
            if paths != [""]
            else "The top of the file"
        )
        out += [
            f"**{where}** — {about}.",
            "",
            "| Key | Meaning | Type and range | Default |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{r.key}` | {_cell(r.meaning)} | {_cell(r.kind)} | {_cell(r.default)} |"
            for r in references(model)
        ]
        out.append("")
    return "\n".join(out)


def refresh_page(text: str, origin: str = PAGE) -> str:
    """The page with every generated block rewritten from the models."""
    seen: list[str] = []

    def fill(match: re.Match[str]) -> str:
        section = match.group(1)
        if section not in SECTIONS or section in seen:
            problem = "a second block" if section in seen else "no section of the format is called"
            raise UsageError(f"{origin}: {problem} `{section}`")
        seen.append(section)
        return f"{BEGIN.format(section=section)}\n{section_tables(section)}{END}"

    page = _BLOCK.sub(fill, text)
    missing = [s for s in SECTIONS if s not in seen]
    if missing:
        raise UsageError(
            f"{origin}: no generated block for {', '.join(f'`{s}`' for s in missing)}; add "
            f"`{BEGIN.format(section=missing[0])}` and `{END}` where its keys belong"
        )
    return page


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated blocks of the page named on the command line (or the default)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else PAGE)
    try:
        if len(args) > 1:
            raise UsageError(f"give one page to refresh (got {len(args)})")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
        page = refresh_page(text, str(path))
        if page != text:
            write_atomic(path, page)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.BAD_INPUT
    print(f"{path}: {'refreshed' if page != text else 'already current'}", file=sys.stderr)
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
