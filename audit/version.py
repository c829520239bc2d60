"""The installed package's version, recorded in every artefact."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    """The version of the installed ``scs-audit`` distribution (``0+unknown`` in an uninstalled source tree)."""
    try:
        return version("scs-audit")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"
