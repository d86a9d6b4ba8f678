"""Hatch build hook: compile the message catalogs (``src/qualityrules/locale/<lang>/LC_MESSAGES/*.po``)
to ``.mo`` files inside the wheel, with the same function the package uses at run time in a source
checkout (``qualityrules.i18n.compile_catalog``, loaded by path: the package is not importable here)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # an editable install reads the .po files themselves
            return
        spec = importlib.util.spec_from_file_location("_qr_i18n", Path(self.root) / "src" / "qualityrules" / "i18n.py")
        assert spec is not None and spec.loader is not None
        i18n = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(i18n)
        out = Path(tempfile.mkdtemp(prefix="qualityrules-mo-"))
        for po in sorted((Path(self.root) / "src" / "qualityrules" / "locale").glob("*/LC_MESSAGES/*.po")):
            mo = out / po.relative_to(po.parents[2]).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(i18n.compile_catalog(po.read_bytes()))
            build_data["force_include"][str(mo)] = f"qualityrules/locale/{mo.relative_to(out).as_posix()}"
