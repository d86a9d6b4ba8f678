"""Where the grammar and the shipped rules live: inside the installed package (the wheel maps
the top-level ``grammar/`` and ``rules/`` there) or, in a source checkout, at the repository root.

Also where what is *derived* from them is kept, so that a run does not recompute it: artefacts
(the parser tables, the unit table, the parsed catalogue). An artefact is found, in this order,

1. next to the grammar, written there by the build (``hatch_build.py``: into the wheel, or into
   ``grammar/`` for an editable install);
2. in the user's cache directory (``$XDG_CACHE_HOME/qualityrules``, else ``~/.cache/qualityrules``);
3. nowhere: then it is computed and stored in the user's cache for the next run.

Every artefact file carries the key of what it was derived from (a hash of the sources and of the
versions that shape it) and a hash of its own content: a stale or damaged file is ignored and
recomputed, never used. A read-only or missing cache directory only costs time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

_MAGIC = b"qualityrules artefact 1\n"


@functools.cache
def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, which a
    container or ``taskset`` narrows; else the machine's count): how many threads the engine
    and the records scan use at most."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@functools.cache
def second_core() -> ThreadPoolExecutor:
    """One worker thread, started on first use, for the other half of a large numpy pass (numpy
    releases the GIL while it compares or reduces): the engine's comparisons, a records column's
    extremes. Use it only when :func:`cores` is at least 2. (Its module is imported on first use:
    a lint never needs it.)"""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualityrules-second-core")


if hasattr(os, "register_at_fork"):   # a forked child has no copy of the worker thread: it starts its own
    os.register_at_fork(after_in_child=second_core.cache_clear)


@functools.cache
def data_dir(name: str) -> Path:
    """The directory ``grammar`` or ``rules``, wherever this installation keeps it."""
    packaged = Path(__file__).resolve().parent / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"qualityrules installation is missing its {name!r} directory")


def grammar_path(file: str = "qr.lark") -> Path:
    return data_dir("grammar") / file


def rules_dir() -> Path:
    return data_dir("rules")


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/qualityrules``, or ``~/.cache/qualityrules`` when that is unset or not
    an absolute path (the XDG rule); None when there is no home directory either."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):  # no HOME and no password entry: no cache, never the cwd
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "qualityrules"


class Artefact(NamedTuple):
    """Bytes derived from the package's sources: its file name next to the grammar, the key of
    the inputs it is derived from, how to compute it, and its file name in the user's cache."""

    name: str
    key: str
    build: Callable[[], bytes]
    # In the user's cache, by default the name plus the key's start: checkouts or installations
    # with different sources (several worktrees, several versions) then keep one file each.
    cache_name: str | None = None

    def cache_file(self) -> Path | None:
        directory = user_cache_dir()
        stem, _, suffix = self.name.partition(".")
        return directory / (self.cache_name or f"{stem}-{self.key[:16]}.{suffix}") if directory else None


def digest(*parts: str | bytes) -> str:
    """A key for an artefact: the SHA-256 of ``parts`` (length-prefixed, so parts cannot run together)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(b"%d:" % len(data))
        hasher.update(data)
    return hasher.hexdigest()


def load_artefact(artefact: Artefact, *, packaged: bool = True) -> bytes:
    """The artefact's bytes: from the build's copy next to the grammar (when ``packaged``), else
    from the user's cache, else computed now (and then stored in the user's cache)."""
    cached = artefact.cache_file()
    for place in ([grammar_path(artefact.name)] if packaged else []) + ([cached] if cached else []):
        payload = read_artefact(place, artefact.key)
        if payload is not None:
            return payload
    payload = artefact.build()
    if cached is not None:
        write_artefact(cached, artefact.key, payload)
    return payload


def read_artefact(path: Path, key: str) -> bytes | None:
    """The payload stored at ``path`` if the file is whole and was derived from ``key``; else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    header_end = data.find(b"\n", data.find(b"\n", len(_MAGIC)) + 1)
    if header_end < 0:
        return None
    stored_key, stored_digest = data[len(_MAGIC):header_end].split(b"\n", 1)
    payload = data[header_end + 1:]
    if stored_key != key.encode("ascii") or stored_digest != hashlib.sha256(payload).hexdigest().encode("ascii"):
        return None
    return payload


def write_artefact(path: Path, key: str, payload: bytes) -> bool:
    """Store ``payload`` at ``path`` under ``key`` (atomically: readers never see half a file).
    Returns False when the directory cannot be written; that only costs time later."""
    data = _MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
    return True


def code_fingerprint() -> str:
    """A key that changes whenever the package's code or grammar changes (paths, sizes and
    modification times of its files; a new version installs new files), for artefacts that
    depend on how the code reads the sources."""
    package = Path(__file__).resolve().parent
    directories = [package, *(p for p in package.iterdir() if p.is_dir()), data_dir("grammar")]
    entries: list[str] = []
    for directory in sorted(set(directories)):
        with os.scandir(directory) as found:
            for entry in sorted(found, key=lambda e: e.name):
                if entry.name.endswith((".py", ".lark", ".txt")) and entry.is_file():
                    stat = entry.stat()
                    entries.append(f"{entry.path}:{stat.st_size}:{stat.st_mtime_ns}")
    return digest(*entries)
