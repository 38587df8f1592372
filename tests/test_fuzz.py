"""Fuzzing the scenario loader: valid documents load, mutated ones fail cleanly, never otherwise.

"Cleanly" means a ScenarioError whose lines are single printable lines, within a second. Any
other exception, a hang or a crash is a bug.
"""

from __future__ import annotations

import copy
import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from conftest import BASE, dump_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from simulator.errors import ScenarioError
from simulator.scenario import bundled_dir, bundled_names, load

# A quick pass in the suite; EXPOSURE_FUZZ_EXAMPLES=5000 (and no fixed seed) searches longer.
EXAMPLES = int(os.environ.get("EXPOSURE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=1000,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize="EXPOSURE_FUZZ_EXAMPLES" not in os.environ,
)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
PROBABILITY = st.floats(0.0, 1.0, allow_nan=False)


def check_clean(lines: list[str]) -> None:
    assert lines
    for line in lines:
        assert "\n" not in line and "\r" not in line
        assert all(c.isprintable() for c in line), repr(line)


def load_text(data: bytes, **kwargs: Any) -> None:
    """Load bytes as a scenario file; only success or a clean ScenarioError is allowed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_bytes(data)
        try:
            load(str(path), **kwargs)
        except ScenarioError as exc:
            check_clean(exc.lines())


# --- valid documents ------------------------------------------------------------------------------


@st.composite
def rates(draw: st.DrawFn) -> dict[str, float]:
    key, top = draw(st.sampled_from([("per_day", 1.0), ("per_week", 7.0), ("per_month", 30.0)]))
    return {key: draw(st.floats(0.0, top, allow_nan=False))}


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["days"] = draw(st.integers(1, 60))
    doc["runs"] = draw(st.integers(1, 5))
    lo = draw(st.integers(1, 20))
    doc["population"] = {
        "units": draw(st.integers(1, 3)),
        "households_per_unit": draw(
            st.one_of(st.just(lo), st.integers(lo, 30).map(lambda hi: [lo, hi]))
        ),
        "household_size": draw(st.integers(1, 4)),
    }
    doc["activities"] = {
        name: {
            "who": "everyone",
            **draw(rates()),
            "traces": draw(
                st.lists(st.sampled_from(["presence", "travel", "behaviour"]), unique=True)
            ),
        }
        for name in draw(st.lists(NAMES, max_size=3, unique=True))
    }
    doc["observers"] = {
        name: {
            "kind": "general",
            "notice": {"behaviour": draw(PROBABILITY), "presence": draw(PROBABILITY)},
            "reports": draw(PROBABILITY),
        }
        for name in draw(
            st.lists(
                NAMES.filter(lambda n: n not in ("cascade", "registration")),
                max_size=2,
                unique=True,
            )
        )
    }
    doc["adversary"]["threshold"] = draw(st.floats(0.5, 5.0))
    return doc


@FUZZ
@given(valid_documents())
def test_valid_documents_load(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "valid.yaml"
        path.write_text(dump_yaml(doc), encoding="utf-8")
        loaded = load(str(path))
    assert loaded.scenario.days == doc["days"]
    assert set(loaded.scenario.activities) == set(doc["activities"])


# --- mutated documents ----------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x1b[2J",
        "\u202e",
        "\x00",
        "\r",
        "tr\u0430der",
        "ｔｒａｄｅｒ",
        "e\u0301",
        "\U0001f600",
        "a" * 5000,
        "[/x]",
        "{{ 7*7 }}",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "-1",
        "1e999",
    ]
)
HOSTILE_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.sampled_from([-1, 0, 2**63, -(2**63), 10**4000]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308]),
        st.text(max_size=30),
        HOSTILE_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(NAMES, HOSTILE_TEXT), inner, max_size=4),
    ),
    max_leaves=20,
)


def _paths(data: Any, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*here, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*here, i)))
    return out


def _bundled(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(
        (bundled_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    )


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = draw(st.one_of(valid_documents(), st.sampled_from(bundled_names()).map(_bundled)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(HOSTILE_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.one_of(NAMES, HOSTILE_TEXT))] = draw(HOSTILE_VALUES)
        else:
            parent.append(draw(HOSTILE_VALUES))
    return doc


def _dump(data: Any) -> bytes:
    yaml = YAML(typ="safe", pure=True)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue().encode("utf-8")


@FUZZ
@given(mutated_documents())
def test_mutated_documents_fail_cleanly(doc):
    try:
        data = _dump(doc)
    except (ValueError, OverflowError):  # e.g. an integer YAML cannot write; nothing to load
        return
    load_text(data)


# --- mutated text ---------------------------------------------------------------------------------

TOKENS = [
    "&a ",
    "*a",
    "*b",
    "!!python/object/apply:os.system ['id'] ",
    "!tag ",
    "!!binary ",
    "<<: *a\n",
    "[",
    "]",
    "{",
    "}",
    ",",
    ": ",
    "- ",
    "\n",
    "  ",
    "\t",
    "---\n",
    "...\n",
    "? ",
    "'",
    '"',
    "\\",
    "#",
    "%YAML 1.1\n",
    "|",
    ">",
    ".nan",
    ".inf",
    "-",
    "1e400",
    "9" * 100,
    "\x00",
    "\x1b",
    "\u202e",
    "\ufeff",
    "\u0430",
]


@st.composite
def mutated_texts(draw: st.DrawFn) -> bytes:
    text = (bundled_dir() / f"{draw(st.sampled_from(bundled_names()))}.yaml").read_bytes()
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "byte", "repeat"]))
        if kind == "insert":
            token = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)))
            text = text[:at] + token.encode("utf-8") + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "byte":
            text = text[:at] + bytes([draw(st.integers(0, 255))]) + text[at + 1 :]
        else:
            line_start = text.rfind(b"\n", 0, at) + 1
            line_end = text.find(b"\n", at)
            line = text[line_start : line_end + 1 if line_end >= 0 else len(text)]
            text = text[:line_start] + line * draw(st.integers(2, 50)) + text[line_start:]
    return text


@FUZZ
@given(mutated_texts())
def test_mutated_texts_fail_cleanly(data):
    load_text(data)


# --- --set expressions ----------------------------------------------------------------------------


def _keys() -> list[str]:
    keys = set()
    for name in bundled_names():
        for path in _paths(_bundled(name))[1:]:
            keys.add(".".join(str(p) for p in path))
    return sorted(keys)


KEYS = _keys()
SET_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(TOKENS),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["[1, 2]", "{a: 1}", "[" * 100, "&a [*a]"]),
)
SET_KEYS = st.one_of(
    st.sampled_from(KEYS),
    st.builds(
        lambda k, extra: f"{k}.{extra}",
        st.sampled_from(KEYS),
        st.one_of(NAMES, st.integers(0, 10**6).map(str)),
    ),
    st.text(max_size=30),
)


@FUZZ
@given(st.lists(st.builds(lambda k, v: f"{k}={v}", SET_KEYS, SET_VALUES), min_size=1, max_size=3))
def test_set_expressions_fail_cleanly(exprs):
    try:
        load("reference-cascade", overrides=exprs)
    except ScenarioError as exc:
        for line in exc.lines():
            assert "\n" not in line
