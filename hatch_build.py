"""Build hook: the artefacts derived from ``grammar/`` — the parser tables and the unit table —
are computed at build time and written next to the grammar (``grammar/*.artefact``, ignored by
git: build outputs, not sources). The wheel maps ``grammar/`` into the package, so an installed
package, and an editable install reading the checkout's ``grammar/``, start without computing them
(see ``qualityrules.resources``). The package's own code computes them, so there is one way to."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ArtefactBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sys.path.insert(0, str(Path(self.root) / "src"))
        try:
            from qualityrules import resources
            from qualityrules.language.parse import parser_artefact
            from qualityrules.language.units import unit_table_artefact
        finally:
            sys.path.pop(0)
        for artefact in (parser_artefact(), unit_table_artefact()):
            target = resources.grammar_path(artefact.name)
            if resources.read_artefact(target, artefact.key) is None and \
                    not resources.write_artefact(target, artefact.key, artefact.build()):
                raise OSError(f"cannot write the build artefact {target}")
