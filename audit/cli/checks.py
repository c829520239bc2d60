"""Checks the command line makes before any work, and what it says when the operating system refuses.

The library speaks of parameters (:mod:`audit.cost` says ``bootstrap``); here
they become flags (``--bootstrap``), as the command line's other messages do.
"""

from __future__ import annotations

import argparse
import errno
import os

from audit.errors import InvalidArgument

__all__ = ["describe_os_error", "refuse_costly"]


def refuse_costly(args: argparse.Namespace, *, workers: int = 1) -> None:
    """Refuse ``--size``, ``--bootstrap`` or ``--workers`` whose estimated cost is absurd (:mod:`audit.cost`), unless ``--force``."""
    from audit.cost import estimate_run
    from audit.population.table_files import TABLE_SUFFIXES

    if args.force:
        return
    synthetic = not str(args.population).lower().endswith(TABLE_SUFFIXES)
    scorers = len(getattr(args, "scorer", None) or getattr(args, "specs", None) or ()) or 4
    cost = estimate_run(size=args.size if synthetic else None, scorers=scorers, bootstrap=args.bootstrap,
                        workers=workers)
    if cost.problems:
        flag, why = cost.problems[0]
        raise InvalidArgument(f"--{flag} {getattr(args, flag, '')}: {why}. Fix: choose a smaller value, "
                              "or pass --force to run it anyway")


def describe_os_error(exc: OSError) -> str:
    """What failed, on which path, and the fix that fits the cause (disk full, permission, a missing HOME)."""
    path = exc.filename
    where = f"{path}: " if path else ""
    what = exc.strerror or str(exc) or type(exc).__name__
    code = exc.errno
    home = os.path.abspath(os.path.expanduser("~"))
    under_home = bool(path) and os.path.commonpath([home, os.path.abspath(str(path))]) == home
    if code in (errno.ENOSPC, errno.EDQUOT):
        fix = "free space on the disk (or quota) that holds it, or write elsewhere (--out DIR)"
    elif under_home and code in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR):
        fix = f"your home directory ({home}) cannot be written here: set HOME to a writable directory"
    elif code in (errno.EACCES, errno.EPERM):
        fix = "give yourself permission to it (e.g. chmod u+rw, or u+rwx for a directory), or use another path"
    elif code == errno.EROFS:
        fix = "the file system is read-only: use a path on a writable disk"
    elif code in (errno.ENOENT, errno.ENOTDIR):
        fix = "check the path exists (create its directory first)"
    else:
        fix = "check the path and the disk, then run again"
    return f"{where}{what}. Fix: {fix}"
