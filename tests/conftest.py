"""Shared helpers: small scenarios written as YAML files, exactly as a trainer would."""

from __future__ import annotations

import atexit
import copy
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from simulator.cli import cli

# Bundled scenarios parsed by the tests (and the commands they start) are kept in a folder of the
# test run's own, never in the user's cache (simulator/scenario/cache.py).
_CACHE = tempfile.mkdtemp(prefix="exposure-test-cache-")
os.environ["EXPOSURE_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

GOLDEN = Path(__file__).parent / "golden"
# Refresh the golden files with: EXPOSURE_REFRESH_GOLDEN=1 python3 -m pytest
REFRESH = os.environ.get("EXPOSURE_REFRESH_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch):
    """Tests speak English unless they ask for a language: the machine's locale is not theirs."""
    from simulator import i18n

    monkeypatch.setenv("EXPOSURE_LANG", "en")
    i18n.choose(None)
    yield
    i18n.choose(None)


def invoke(*args: str):
    """Run the command line in-process, as a user would type it."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def chromium() -> str | None:
    """Debian's chromium (or another Chromium) to render pages in, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with its own profile, no network chatter, and `args` (a URL last)."""
    return subprocess.run(
        [
            chromium() or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )


def golden(name: str, text: str) -> None:
    """Compare text with its golden file (or rewrite the file when refreshing)."""
    path = GOLDEN / name
    if REFRESH:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; refresh with EXPOSURE_REFRESH_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if on purpose, refresh with EXPOSURE_REFRESH_GOLDEN=1"
    )


# CI may ask for smaller samples in the statistically heavy tests (tolerances follow the sample).
FAST = os.environ.get("EXPOSURE_FAST_TESTS") == "1"

BASE: dict[str, Any] = {
    "name": "test-town",
    "title": "Test town",
    "summary": "A scenario made by the tests.",
    "days": 30,
    "runs": 10,
    "population": {"units": 1, "households_per_unit": 100, "household_size": 1},
    "activities": {},
    "observers": {},
    "adversary": {
        "threshold": 1,
        "weights": {"reports": 1, "finds": 1, "cascade": 1},
        "unlock": 1.0,
    },
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `changes` into a copy of `base` (None deletes a key)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML text of plain data."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


@pytest.fixture
def scenario_file(tmp_path: Path):
    """Write a test scenario (BASE merged with changes) and return its path."""

    def write(
        changes: dict[str, Any] | None = None,
        name: str = "town.yaml",
        base: dict[str, Any] | None = None,
    ) -> Path:
        data = merge(base if base is not None else BASE, changes or {})
        path = tmp_path / name
        path.write_text(dump_yaml(data), encoding="utf-8")
        return path

    return write


BOX = set("┏┃┡│└╇━┳┓┩┗┛┣┫╋─┬┴┼┌┐┘├┤")


def prose(text: str) -> str:
    """The sentences of terminal output, with tables left out and wrapped lines joined."""
    kept = [line for line in text.splitlines() if not (line.strip() and line.strip()[0] in BOX)]
    return " ".join(" ".join(kept).split())
