"""Start-up: the light commands import only what they use, and `list` reads what it shows exactly.

No wall-clock time is asserted here (a loaded machine makes that flaky): benchmarks/run.py
measures the start-up of each command beside its target. What is held here is the cause of a slow
start: a heavy module imported by a command that does not need it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import LISTED, bundled_dir, bundled_names, listed, listing
from simulator.scenario.loader import decode_text, parse_yaml, top_level

ROOT = Path(__file__).resolve().parent.parent

# Heavy for a command that neither simulates, draws, renders a page nor seals.
NEVER_LIGHT = (
    "jinja2",
    "cryptography",
    "scipy",
    "dask",
    "numpy",
    "simulator.engine",
    "simulator.runner",
    "rich.console",
    "rich.table",
)

_PROBE = """
import json, sys
from simulator.cli import main
args = json.loads(sys.argv[1])
try:
    code = main(args)
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
heavy = json.loads(sys.argv[2])
found = sorted(m for m in heavy if m in sys.modules)
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "imported": found}) + "\\n")
"""


def _imported(
    args: list[str], heavy: tuple[str, ...], env: dict[str, str] | None = None
) -> tuple[int, list[str], str]:
    """Run the command in a fresh interpreter; its exit code, the heavy modules it imported and
    its output."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(list(heavy))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})},
    )
    line = done.stderr.rsplit("PROBE ", 1)[-1]
    probe = json.loads(line)
    return int(probe["code"]), probe["imported"], done.stdout


def test_list_imports_no_heavy_module_nor_the_models():
    code, imported, out = _imported(["list"], (*NEVER_LIGHT, "pydantic"))
    assert code == 0 and "border-phone" in out
    assert imported == []


@pytest.mark.parametrize("name", ["border-phone", "reference-cascade"])
def test_show_imports_no_heavy_module(name):
    code, imported, out = _imported(["show", name], NEVER_LIGHT)
    assert code == 0 and out.strip()
    assert imported == []


def test_a_kept_scenario_is_read_without_importing_the_yaml_parser(tmp_path):
    """The parser is imported to parse (about 10 ms): a scenario found kept needs none, and the
    cache tells parsers apart without importing one."""
    kept = {"EXPOSURE_CACHE": str(tmp_path)}
    code, imported, first = _imported(["show", "border-phone"], ("ruamel.yaml",), kept)
    assert code == 0 and imported == ["ruamel.yaml"]  # parsed, then kept
    code, imported, again = _imported(["show", "border-phone"], ("ruamel.yaml",), kept)
    assert code == 0 and imported == [] and again == first


@pytest.mark.parametrize(
    "args",
    [["run", "border-phone", "--runs", "10"], ["compare", "border-phone", "--runs", "20"]],
    ids=["run", "compare"],
)
def test_a_simulation_imports_neither_scipy_nor_what_renders_pages(args):
    """The intervals' quantiles come from analysis/beta.py (scipy.special takes 0.15-0.3 s to
    import), a percentile from results.percentile (np.percentile imports numpy.ma, 7 ms);
    pages are a report's."""
    code, imported, out = _imported(
        args, ("scipy", "jinja2", "simulator.report.charts", "numpy.ma")
    )
    assert code == 0 and out.strip()
    assert imported == []


def test_version_imports_not_even_the_command_line():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simulator", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and done.stdout.startswith("exposure, version ")
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "simulator.entry" in modules  # the profile was read
    assert not {"simulator.cli", "click", "numpy", "pydantic"} & modules


def _full(name: str) -> tuple[dict[str, object], bool]:
    label = f"scenarios/{name}.yaml"
    raw = (bundled_dir() / f"{name}.yaml").read_bytes()
    data = parse_yaml(decode_text(raw, label), raw, label).data
    return {k: v for k, v in data.items() if k in LISTED}, "exercise" in data


@pytest.mark.parametrize("name", bundled_names())
def test_listing_says_what_the_whole_file_says(name):
    label = f"scenarios/{name}.yaml"
    raw = (bundled_dir() / f"{name}.yaml").read_bytes()
    # Every bundled file is laid out plainly, so `list` never parses one whole.
    assert top_level(decode_text(raw, label), raw, label, LISTED) is not None
    assert listing(name) == _full(name)


PLAIN = """\
name: t
# a comment at the first column
title:
  en: A town   # a comment
  ko: 마을
place: |
  Somewhere

  far
days: 3
exercise:
  persona: x
"""


def _listed(text: str) -> tuple[dict[str, object], bool]:
    return listed(text, text.encode(), "t.yaml")


def test_a_plain_file_is_cut_and_read_as_a_whole_parse_reads_it():
    assert top_level(PLAIN, PLAIN.encode(), "t.yaml", LISTED) is not None
    whole = parse_yaml(PLAIN, PLAIN.encode(), "t.yaml").data
    assert _listed(PLAIN) == ({k: whole[k] for k in ("title", "place")}, True)
    assert _listed(PLAIN.replace("exercise:\n  persona: x\n", "")) == (
        {"title": {"en": "A town", "ko": "마을"}, "place": "Somewhere\n\nfar\n"},
        False,
    )


@pytest.mark.parametrize(
    "text",
    [
        PLAIN.replace("place: |", "place: |+").replace("days: 3", "\n\ndays: 3"),
        PLAIN.replace("place: |", "place: >-"),
        PLAIN.replace("exercise:\n  persona: x\n", "place2: 1\n").replace("place", "x", 1)
        + "place: |+\n  last\n\n",
        PLAIN.rstrip("\n"),  # no line feed at the end
        PLAIN.replace("title:\n", "title: {en: A town,\n  ko: x}\nt2:\n"),
    ],
)
def test_what_is_cut_out_reads_as_in_the_whole_file(text):
    assert top_level(text, text.encode(), "t.yaml", LISTED) is not None
    whole = parse_yaml(text, text.encode(), "t.yaml").data
    assert _listed(text) == ({k: v for k, v in whole.items() if k in LISTED}, "exercise" in whole)


@pytest.mark.parametrize(
    "text",
    [
        "---\n" + PLAIN,  # a document marker
        PLAIN.replace("name: t", '"name": t'),  # a quoted key
        PLAIN.replace("days: 3", "days:\n- 3"),  # a sequence at the first column
        PLAIN.replace("days: 3", "title: again"),  # a duplicate
        PLAIN.replace("name: t", "name: &n t").replace("place: |", "place: *n\nx: |"),  # alias
    ],
)
def test_a_file_not_laid_out_plainly_is_parsed_whole(text):
    assert top_level(text, text.encode(), "t.yaml", LISTED) is None
    try:
        expected: object = parse_yaml(text, text.encode(), "t.yaml").data
    except ScenarioError as exc:
        expected = exc.problems
    try:
        data, _exercise = _listed(text)
    except ScenarioError as exc:
        assert exc.problems == expected
    else:
        assert isinstance(expected, dict) and data == {
            k: v for k, v in expected.items() if k in LISTED
        }


@pytest.mark.parametrize(
    "text",
    [
        PLAIN.replace("title:\n", "title: !!python/object:os.system\n"),  # a tag in what is listed
        PLAIN.replace("  en: A town", "  en: A\u202etown"),  # a bidirectional control
        PLAIN + "x: " + "[" * 60 + "]" * 60 + "\n",  # nesting deeper than allowed, elsewhere
        PLAIN + "x: y\n" * 3000,  # more lines than a scenario has
    ],
)
def test_a_hostile_file_is_refused_by_list_as_by_the_whole_parse(text):
    with pytest.raises(ScenarioError) as whole:
        parse_yaml(text, text.encode(), "t.yaml")
    with pytest.raises(ScenarioError) as cut:
        _listed(text)
    assert cut.value.problems == whole.value.problems
