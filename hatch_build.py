"""Build hook: compile the message catalogues (`.po`) into the `.mo` files the wheel ships.

Users never run `msgfmt`: the wheel carries every catalogue compiled, by the project's own
compiler (simulator/po.py, standard library only). An editable install compiles nothing: a source
checkout compiles a catalogue in memory the first time it is used.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("_exposure_po", root / "simulator" / "po.py")
        assert spec is not None and spec.loader is not None
        po = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(po)
        out = Path(tempfile.mkdtemp(prefix="exposure-catalogues-"))
        for source in sorted((root / "simulator" / "locale").glob("*/LC_MESSAGES/*.po")):
            relative = source.relative_to(root).with_suffix(".mo")
            compiled = out / relative
            po.compile_file(source, compiled)
            build_data["force_include"][str(compiled)] = str(relative)
