"""Sphinx configuration for the qualityrules documentation (reStructuredText, built with -W)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

project = "qualityrules"
author = "qualityrules contributors"
copyright = "qualityrules contributors"  # noqa: A001 - Sphinx's name
release = version = "0.1.0"
language = "en"

# packpages writes docs/packs/ (git-ignored: one page per shipped pack) at build time.
extensions = ["sphinx.ext.autodoc", "qrdocs", "packpages"]
exclude_patterns = ["_build", "*.md", "examples/*.py"]  # docs/verdicts/*.inc are included, not pages
root_doc = "index"
highlight_language = "qualityrules"
pygments_style = "sphinx"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "class"

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = "qualityrules"
html_static_path: list[str] = []
html_show_sourcelink = False
