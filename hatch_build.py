"""Build hook, for everything derived from sources at build time, computed by the package's own
code (there is one way to compute each):

- the artefacts derived from ``grammar/`` — the parser tables and the unit table — written next
  to the grammar (``grammar/*.artefact``, ignored by git: build outputs, not sources). The wheel
  maps ``grammar/`` into the package, so an installed package, and an editable install reading the
  checkout's ``grammar/``, start without computing them (see ``qualityrules.resources``);
- for an editable install, the bytecode of the checkout's sources (an installed wheel's is
  compiled by the installer);
- the message catalogs: each ``src/qualityrules/locale/<lang>/LC_MESSAGES/*.po`` compiled to
  ``.mo`` inside the wheel (``qualityrules.i18n.compile_catalog``, Babel). An editable install
  reads the ``.po`` files themselves (see ``qualityrules.i18n``)."""

from __future__ import annotations

import compileall
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sys.path.insert(0, str(Path(self.root) / "src"))
        try:
            from qualityrules import i18n, resources
            from qualityrules.language.parse import parser_artefact
            from qualityrules.language.units import unit_table_artefact
        finally:
            sys.path.pop(0)
        for artefact in (parser_artefact(), unit_table_artefact()):
            target = resources.grammar_path(artefact.name)
            if resources.read_artefact(target, artefact.key) is None and \
                    not resources.write_artefact(target, artefact.key, artefact.build()):
                raise OSError(f"cannot write the build artefact {target}")
        if version == "editable":
            # An editable install runs the checkout's sources: compile them now, or every run
            # compiles them again where bytecode is not written (PYTHONDONTWRITEBYTECODE).
            compileall.compile_dir(str(Path(self.root) / "src" / "qualityrules"), quiet=1)
            return
        out = Path(tempfile.mkdtemp(prefix="qualityrules-mo-"))
        for po in sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
            mo = out / po.relative_to(i18n.LOCALE_DIR).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(i18n.compile_catalog(po.read_bytes()))
            build_data["force_include"][str(mo)] = f"qualityrules/locale/{mo.relative_to(out).as_posix()}"
