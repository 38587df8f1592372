"""The workshop report: golden Markdown and SVG, escaped hostile text, safe output, a browser."""

from __future__ import annotations

import html.parser
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASE, browser, chromium, dump_yaml, golden, invoke, merge

from simulator import __version__
from simulator.cli import cli
from simulator.report import charts, handout
from simulator.report.words import change_ends, span

HOSTILE = "<script>alert(1)</script>"

# A small town whose report is short, so that its charts come early on the page.
TOWN = {
    "title": "Leaflet town",
    "summary": "Activists meet and keep leaflets at home.",
    "days": 90,
    "runs": 20,
    "population": {
        "units": 6,
        "households_per_unit": 10,
        "household_size": 3,
        "roles": {"activist": 6},
    },
    "contacts": {
        "household": {},
        "neighbours": {"mean_degree": 3},
        "ties": [{"from": "activist", "to": "activist", "channel": "phone", "each": 2}],
    },
    "channels": {"phone": {"kind": "plaintext", "stores_contacts": True}},
    "states": {"leaflets": {"concealment": 0.2}},
    "activities": {
        "meet": {"who": "activist", "per_week": 1, "traces": ["presence"]},
        "keep_leaflets": {"who": "activist", "per_day": 1.0, "state": "leaflets"},
    },
    "observers": {
        "leader": {"kind": "leader", "label": "the block leader", "notice": {"presence": 0.05}}
    },
    "checks": {"search": {"label": "a house search", "every": 30, "finds": {"leaflets": 0.2}}},
    "adversary": {"threshold": 1, "weights": {"reports": 0.5, "finds": 1}, "unlock": 0.8},
    "countermeasures": {
        "meet_less": {
            "label": "Meet less",
            "description": "Meet half as often.",
            "cost": "Slower organising.",
            "effort": 2,
            "scale": {"activities.meet.per_week": 0.5},
        },
    },
}


def _svg_colours(svg: str) -> set[str]:
    return {c.lower() for c in re.findall(r"#([0-9a-fA-F]{6})\b", svg)}


# ----------------------------------------------------------------------------- golden files


def test_markdown_report_golden(tmp_path):
    out = tmp_path / "report.md"
    result = invoke("report", "border-phone", "--runs", "8", "--seed", "3", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    # The version and the scenario file's hash change for reasons of their own; the rest must not.
    text = re.sub(
        r"\b[0-9a-f]{64}\b",
        "SHA256",
        out.read_text(encoding="utf-8").replace(__version__, "VERSION"),
    )
    golden("report-border-phone.md", text)
    for chart in handout.CHARTS:
        svg = (tmp_path / f"report-{chart}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg
        assert f"(report-{chart}.svg)" in text


def test_chart_golden_and_byte_identical():
    rows = [
        ("Short calls (effort 2)", [(-0.075, -0.112, -0.038, True), (-0.059, -0.09, -0.02, True)]),
        (
            "A phone that usually stays locked (effort 1)",
            [(0.0, 0.0, 0.0, False), (-0.196, -0.24, -0.15, True)],
        ),
        (
            "Sources only face to face (effort 3)",
            [(0.135, 0.087, 0.183, True), (-0.399, -0.46, -0.34, True)],
        ),
    ]
    args = (
        rows,
        ["reporting partner", "source"],
        "change in the chance of exposure within a year, percentage points",
        "less exposure",
        "more exposure",
        "hollow: no clear effect",
    )
    first = charts.effects_chart(*args)
    assert first == charts.effects_chart(*args)
    assert "dc:date" not in first and "<dc:creator>Exposure</dc:creator>" in first
    golden("chart-countermeasures.svg", first)


def test_report_charts_are_grey_and_keep_text_as_text(tmp_path):
    out = tmp_path / "r.md"
    assert invoke("report", "border-phone", "--runs", "4", "-o", str(out)).exit_code == 0
    for chart in handout.CHARTS:
        svg = (tmp_path / f"r-{chart}.svg").read_text(encoding="utf-8")
        colours = _svg_colours(svg)
        assert colours and all(c[0:2] == c[2:4] == c[4:6] for c in colours), (
            f"{chart}: not grey: {colours}"
        )
        assert "<text" in svg and '<use xlink:href="#DejaVu' not in svg  # text, not glyph outlines


# ----------------------------------------------------------------------------- the HTML file


def test_html_report_is_self_contained(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("report", "border-phone", "--runs", "6", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    tags = _tags(page)
    assert (
        "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    )
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.IGNORECASE)
    assert "@import" not in page and "url(http" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg") == 4
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids of inline charts collide"
    for heading in (
        "1. What is protected",
        "2. From whom",
        "3. How likely",
        "4. How bad",
        "5. What helps",
        "One run up close",
        "Running the session",
        "Sources",
        "Reproduce this report",
    ):
        assert heading in page
    for phase in ("Activity", "Discussion", "Input", "Deepening", "Synthesis"):
        assert f"<h3>{phase} (" in page
    assert "exposure report border-phone --runs 6 --seed 1 -o report.html" in page
    assert __version__ in page


def _tags(page: str) -> set[str]:
    found: set[str] = set()

    class Tags(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.add(tag)
            for name, value in attrs:
                assert not name.startswith("on"), f"event handler attribute {name}={value!r}"
                assert not (value or "").strip().lower().startswith("javascript:")

    Tags().feed(page)
    return found


def test_same_inputs_same_report(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "report.html", tmp_path / "b" / "report.html"
    assert invoke("report", str(_town(tmp_path)), "--runs", "6", "-o", str(a)).exit_code == 0
    assert (
        invoke(
            "report", str(_town(tmp_path)), "--runs", "6", "--workers", "2", "-o", str(b)
        ).exit_code
        == 0
    )
    assert a.read_bytes() == b.read_bytes()


def _town(tmp_path: Path, changes: dict | None = None) -> Path:
    path = tmp_path / "town.yaml"
    path.write_text(dump_yaml(merge(merge(BASE, TOWN), changes or {})), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- hostile text


def _hostile(tmp_path: Path) -> Path:
    return _town(
        tmp_path,
        {
            "title": HOSTILE,
            "summary": f"Summary {HOSTILE} & more",
            "learning_objectives": [f"See {HOSTILE}"],
            "population": {
                "unit_label": HOSTILE,
                "roles": {"activist": {"count": 6, "label": HOSTILE}},
            },
            "observers": {"leader": {"label": HOSTILE}},
            "sources": {
                "evil": {
                    "cite": f"A source {HOSTILE} [click](javascript:alert(1)) | x",
                    "basis": "reported",
                    "url": "javascript:alert(1)",
                    "supports": ["adversary.unlock"],
                }
            },
            "countermeasures": {
                "meet_less": {"label": HOSTILE, "description": HOSTILE, "cost": HOSTILE}
            },
        },
    )


def test_hostile_text_is_escaped_in_html(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("report", str(_hostile(tmp_path)), "--runs", "4", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script" not in _tags(page)
    assert 'href="javascript' not in page.lower()
    # Inside the charts too (role and countermeasure labels are drawn as SVG text).
    for svg in re.findall(r"<svg.*?</svg>", page, re.DOTALL):
        assert "<script" not in svg.lower()


def test_hostile_text_is_harmless_in_markdown(tmp_path):
    out = tmp_path / "report.md"
    result = invoke("report", str(_hostile(tmp_path)), "--runs", "4", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not re.search(r"(?<!\\)\]\(javascript", text)  # no link a Markdown renderer would follow
    assert (
        "\\[click\\](javascript:alert(1)) \\| x" in text
    )  # brackets and the table's bar are escaped
    for chart in handout.CHARTS:
        path = tmp_path / f"report-{chart}.svg"
        if path.exists():
            assert "<script" not in path.read_text(encoding="utf-8").lower()


# ----------------------------------------------------------------------------- bad output paths


def _one_line_exit_2(result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_existing_output_is_refused_without_force(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("keep me", encoding="utf-8")
    line = _one_line_exit_2(invoke("report", str(_town(tmp_path)), "--runs", "2", "-o", str(out)))
    assert "already exists" in line and "--force" in line
    assert out.read_text(encoding="utf-8") == "keep me"
    assert (
        invoke("report", str(_town(tmp_path)), "--runs", "2", "-o", str(out), "--force").exit_code
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_existing_chart_beside_markdown_is_refused(tmp_path):
    (tmp_path / "report-network.svg").write_text("mine", encoding="utf-8")
    line = _one_line_exit_2(
        invoke("report", str(_town(tmp_path)), "--runs", "2", "-o", str(tmp_path / "report.md"))
    )
    assert "report-network.svg" in line and "already exists" in line
    assert not (tmp_path / "report.md").exists()


@pytest.mark.parametrize("name", ["missing/report.html", "report.pdf", "folder"])
def test_unwritable_or_wrong_output_is_one_line(tmp_path, name):
    (tmp_path / "folder").mkdir()
    line = _one_line_exit_2(
        invoke("report", str(_town(tmp_path)), "--runs", "2", "-o", str(tmp_path / name))
    )
    assert name.split("/")[-1] in line or "folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "town.yaml"]


@pytest.mark.skipif(
    not Path("/proc/self").is_dir(), reason="needs Linux's /proc, which nobody can write to"
)
def test_write_failure_leaves_no_file():
    line = _one_line_exit_2(
        invoke("report", "border-phone", "--runs", "2", "-o", "/proc/exposure-report.html")
    )
    assert "/proc/exposure-report.html" in line
    assert not Path("/proc/exposure-report.html").exists()


def test_failure_while_writing_markdown_removes_its_charts(tmp_path, monkeypatch):
    real = handout.write_result

    def fail_on_report(path, data, passphrase=None):
        if str(path).endswith(".md"):
            raise KeyboardInterrupt
        return real(path, data, passphrase)

    monkeypatch.setattr(handout, "write_result", fail_on_report)
    result = CliRunner().invoke(
        cli, ["report", str(_town(tmp_path)), "--runs", "2", "-o", str(tmp_path / "r.md")]
    )
    assert result.exit_code == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["town.yaml"]


# ----------------------------------------------------------------------------- in a browser


def _screenshot(page: Path, png: Path, tmp_path: Path) -> None:
    browser(
        tmp_path,
        "--hide-scrollbars",
        f"--screenshot={png}",
        "--window-size=1200,2400",
        page.resolve().as_uri(),
    )


def chart_rows(png: Path) -> int:
    """Rows of the screenshot crossed by a long run of mid-grey: chart bands, bars, hatching.

    Text, rules and table borders make no runs of 60 or more such pixels; a chart's bands and bars
    do.
    """
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(png).convert("L"), dtype=np.int16)
    # Neither the grey of table borders (136) nor the pale grey behind table headings (238).
    mid = (grey >= 138) & (grey <= 232)
    rows = 0
    for row in mid:
        edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        rows += int(((ends - starts) >= 60).any())
    return rows


@pytest.mark.skipif(
    chromium() is None,
    reason="no chromium to render the report (.ci/run installs Debian's chromium)",
)
def test_html_report_shows_its_charts_in_a_browser(tmp_path):
    out = tmp_path / "report.html"
    assert invoke("report", str(_town(tmp_path)), "--runs", "10", "-o", str(out)).exit_code == 0
    png = tmp_path / "report.png"
    _screenshot(out, png, tmp_path)
    assert chart_rows(png) >= 150, "the charts are not drawn"
    # The same page with its charts taken out draws no such rows: the test sees the charts, not the
    # text.
    bare = tmp_path / "bare.html"
    bare.write_text(
        re.sub(r"<svg.*?</svg>", "", out.read_text(encoding="utf-8"), flags=re.DOTALL),
        encoding="utf-8",
    )
    _screenshot(bare, tmp_path / "bare.png", tmp_path)
    assert chart_rows(tmp_path / "bare.png") < 5


# ----------------------------------------------------------------------------- sourced ranges

RANGED = {
    "checks": {"search": {"finds": {"leaflets": 0.02}}},  # so that not every activist is found
    "activities": {"meet": {"per_week": {"value": 1, "range": [0.5, 2]}}},
    "observers": {"leader": {"notice": {"presence": {"value": 0.05, "range": [0.02, 0.1]}}}},
    "countermeasures": {
        "same": {
            "label": "Same as ever",
            "description": "Change nothing.",
            "cost": "None.",
            "effort": 1,
            "scale": {"activities.meet.per_week": 1.0},
        }
    },
}


def test_report_over_the_sourced_ranges_shows_what_run_and_compare_compute(tmp_path):
    path = str(_town(tmp_path, RANGED))
    common = ["--runs", "4", "--seed", "5"]
    out = tmp_path / "report.md"
    result = invoke("report", path, *common, "--uncertainty", "3", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    words = " ".join(text.split())
    # Who is exposed: each role's interval is the one `run --uncertainty` gives for the same seed.
    ran = json.loads(invoke("run", path, *common, "--uncertainty", "3", "--format", "json").stdout)
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines() if line.startswith("| ")}
    for role, r in ran["uncertainty"]["roles"].items():
        cell = "nobody in any run" if r["interval"] == [0, 0] else span(tuple(r["interval"]))
        assert rows[role].endswith(f" | {cell} |"), (rows[role], cell)
    assert rows["everyone"].endswith(" | — |")
    assert "Across the values the sources allow, each group's chance of exposure lies" in words
    assert "3 sets of values were drawn from the sourced ranges and each simulated 4 times" in words
    # What helps: each change over the ranges is the one `compare --uncertainty` gives.
    compared = json.loads(
        invoke("compare", path, *common, "--uncertainty", "3", "--format", "json").stdout
    )
    for name, r in compared["uncertainty"]["variants"].items():
        if name == "same":
            assert r["per_set"] == [0, 0, 0]
            assert (
                "Across the values the sources allow, “Same as ever” changes no run's outcome "
                "for the activist by day 90 in any of the 3 sets of values drawn from the sourced "
                "ranges."
            ) in words
            assert (
                "| Same as ever |" in text
                and "| no change in any run | no change by day 90 in any run |" in text
            )
        else:
            lo, hi = change_ends(tuple(r["delta_interval"]))
            assert (
                f"“Meet less” changes the activist's chance of exposure by between {lo} and {hi} "
                "points (3 sets of values drawn from the sourced ranges)"
            ) in words
            assert f" | {lo} to {hi} points |" in text
    command = f"exposure report {shlex.quote(path)} --runs 4 --seed 5 --uncertainty 3 -o report.md"
    assert command in text


def test_html_report_over_the_ranges_has_a_cell_under_every_heading(tmp_path):
    out = tmp_path / "report.html"
    result = invoke(
        "report", str(_town(tmp_path, RANGED)), "--runs", "2", "--uncertainty", "2", "-o", str(out)
    )
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("over the values the sources allow</th>") == 2
    for table in re.findall(r"<table>.*?</table>", page, re.DOTALL):
        heads = len(re.findall(r"<th>", table))
        assert all(
            len(re.findall(r"<td", row)) == heads
            for row in re.findall(r"<tr><td.*?</tr>", table, re.DOTALL)
        )


def test_report_uncertainty_without_ranges_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "report.html"
    line = _one_line_exit_2(
        invoke("report", str(_town(tmp_path)), "--runs", "2", "--uncertainty", "2", "-o", str(out))
    )
    assert "gives no parameter a sourced range" in line
    assert not out.exists()


def test_command_line_names_the_uncertainty_only_when_asked():
    args = ("border-phone", "out/r.html", 8, 3, None, None, (), (), None)
    assert handout.command_line(*args) == (
        "exposure report border-phone --runs 8 --seed 3 -o r.html"
    )
    assert handout.command_line(*args, 20) == (
        "exposure report border-phone --runs 8 --seed 3 --uncertainty 20 -o r.html"
    )
