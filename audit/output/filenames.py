"""File names from plugins and data: any string as one harmless name inside a directory.

A scorer's label or a group name never becomes a path as it is: :func:`safe_filename`
turns it into one file name, and :func:`path_in` refuses a path that would leave its
directory.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

__all__ = ["path_in", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+@-]")
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"] + [f"{p}{i}" for p in ("COM", "LPT") for i in range(10)]
)


def safe_filename(label: str, *, max_length: int = 100) -> str:
    """One harmless file name for any string (a scorer label, a group name).

    Keeps ASCII letters, digits and ``. _ = , + @ -``; every other character
    (path separators, ``:``, spaces, control characters, non-ASCII letters) becomes
    ``_``. A leading ``.`` or ``-`` (hidden file, command-line option) and Windows
    device names (``CON``, ``NUL`` ...) get a ``_`` prefix. Whenever the result
    differs from ``label``, 8 hex digits of the label's SHA-256 are appended so
    that two labels never share a file name (``a/b`` and ``a_b`` stay apart). The
    result has at most ``max_length`` characters (at least 16), and is never
    empty, ``.`` or ``..``.

    >>> safe_filename("suining")
    'suining'
    >>> safe_filename("../../etc/passwd")[:17]
    '_.._.._etc_passwd'
    """
    if max_length < 16:
        raise ValueError(f"max_length = {max_length}; give at least 16")
    text = str(label)
    name = _UNSAFE.sub("_", unicodedata.normalize("NFKC", text))
    if not name or name[0] in ".-" or name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if name.endswith("."):
        name = name[:-1] + "_"
    if name != text or len(name) > max_length:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = f"{name[: max_length - 9]}-{digest}"
    return name


def path_in(directory: str | Path, label: str, suffix: str = "") -> Path:
    """``directory / (safe_filename(label) + suffix)``, checked to lie directly inside ``directory``.

    ``suffix`` is ours (e.g. ``".svg"``), never from a plugin; it must not contain a path separator.
    """
    if "/" in suffix or "\\" in suffix or "\0" in suffix:
        raise ValueError(f"suffix {suffix!r} must not contain a path separator")
    directory = Path(directory)
    path = directory / (safe_filename(label) + suffix)
    if path.resolve().parent != directory.resolve():
        raise ValueError(f"{label!r} would be written outside {str(directory)!r}")
    return path
