"""The same messages whatever the developer's locale: tests run in English unless a test asks for
Chinese (with --lang, the configuration or its own LANG)."""

from __future__ import annotations

import os

for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(variable, None)
os.environ["LANG"] = "C.UTF-8"
