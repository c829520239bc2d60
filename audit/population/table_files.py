"""Reading one supplied table file (CSV, gzipped CSV or Parquet) into a DataFrame.

The file type comes from the name's ending (:data:`TABLE_SUFFIXES`). A CSV
file may start with a UTF-8 byte-order mark; its separator (``,``, ``;``, tab
or ``|``) is detected from the header line. pyarrow parses it when it can;
otherwise pandas' C parser gives the definitive answer. Anything that cannot
be read -- a missing, empty, corrupt, non-UTF-8 or malformed file -- raises
:class:`~audit.errors.InvalidTable` naming the file and the fix.

Checking the columns and values is :mod:`audit.population.table`'s job.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pandas as pd

from audit.errors import InvalidArgument, InvalidTable

__all__ = ["TABLE_SUFFIXES", "excerpt", "read_table"]

#: File name endings that can be loaded (case-insensitive).
TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")

_SEPARATORS = (",", ";", "\t", "|")
#: Peak memory of reading a table, as a multiple of its (uncompressed) bytes: reading CSVs of 18 MB
#: (people) and 69 MB (events) of china-2020 raised peak memory by 4.8 and 4.0 times their size
#: (ru_maxrss around read_table); 6 leaves room for validation's copies (assumption).
MEMORY_PER_BYTE = 6
#: Most memory reading one table may take, in bytes; ``None``: half of this machine's memory.
MEMORY_BOUND: int | None = None
_SCAN_BLOCK = 1 << 20

#: Characters of a bad value quoted in a message (a 50 MB cell is not echoed whole).
EXCERPT_CHARS = 40


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)``, cut to about ``limit`` characters with the full length said.

    >>> excerpt("x" * 1000, 5)
    "'xxxxx'... (1,000 characters)"
    """
    if isinstance(value, (str, bytes)) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= 2 * limit else f"{text[: 2 * limit]}... ({len(text):,} characters)"


def _sniff(path: Path, label: str) -> str:
    """The separator of a CSV file, from its header line; raise if the file is empty."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError as e:
        raise _unreadable(label, e, "a complete, uncorrupted CSV or gzip file") from e
    except (EOFError, zlib.error) as e:
        raise InvalidTable(f"{label}: cannot be read ({e}). Fix: check the file is a complete, uncorrupted CSV or gzip file.") from e
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    if not line.strip():
        raise InvalidTable(
            f"{label}: the file is empty. Fix: write a header row naming the columns, then one row per record."
        )
    sep = max(_SEPARATORS, key=line.count) if any(s in line for s in _SEPARATORS) else ","
    names = [n.strip().strip('"').strip() for n in line.split(sep)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidTable(f"{label}: the header names column {excerpt(dup[0])} more than once. Fix: rename or drop the repeated column.")
    return sep


def _unreadable(label: str, e: OSError, kind: str) -> InvalidTable:
    """The error for a table file the operating system would not let us read, with the fix that fits."""
    import errno

    if e.errno in (errno.EACCES, errno.EPERM):
        fix = "give yourself read permission (e.g. chmod u+r), or copy the file somewhere you can read it"
    elif e.errno in (errno.ENOENT, errno.ENOTDIR):
        fix = "check the path"
    elif e.errno == errno.EISDIR:
        fix = "give a file, not a directory"
    elif e.errno == errno.EIO:
        fix = "the disk reported an input/output error; copy the file to a healthy disk"
    else:
        fix = f"check the file is {kind}"
    return InvalidTable(f"{label}: cannot be read ({e.strerror or e}). Fix: {fix}.")


def _read_csv_fast(path: Path, sep: str) -> pd.DataFrame | None:
    """Parse with pyarrow (multi-threaded, skips a UTF-8 BOM); None when the C parser must decide."""
    try:
        frame = pd.read_csv(path, sep=sep, engine="pyarrow")
    except Exception:  # noqa: BLE001 - any failure: the C parser gives the definitive answer
        return None
    # pyarrow reads a column that is not valid UTF-8 as bytes; let the C parser report it.
    if any(isinstance(_first(frame[c]), bytes) for c in frame.columns if frame[c].dtype == object):
        return None
    return frame


def memory_bound() -> int:
    """:data:`MEMORY_BOUND`, or half of this machine's memory (4 GiB where the system does not say)."""
    if MEMORY_BOUND is not None:
        return MEMORY_BOUND
    from audit.cost import physical_memory

    total = physical_memory()
    return total // 2 if total else 4 << 30


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} bytes"


def _too_big(label: str, size: int, bound: int, what: str) -> InvalidTable:
    return InvalidTable(
        f"{label}: reading it would take about {_bytes(size * MEMORY_PER_BYTE)} of memory "
        f"({MEMORY_PER_BYTE} times the {_bytes(size)} of its {what}), more than the {_bytes(bound)} a table may take "
        "(audit.population.table_files.MEMORY_BOUND; default half of this machine's memory). Fix: split the table into smaller "
        "files, drop unused columns, or run on a machine with more memory."
    )


def _scan_csv(path: Path, label: str) -> None:
    """Read the file's (decompressed) bytes once, in blocks, before parsing: refuse NUL bytes and files too big.

    A sparse or zero-filled file reads as NUL bytes, which no CSV holds, and
    would otherwise grow many times over in the parser; a file whose text
    times :data:`MEMORY_PER_BYTE` exceeds :func:`memory_bound` is refused
    before it is parsed. Memory used here is one block.
    """
    bound = memory_bound()
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    seen = 0
    try:
        with opener(path, "rb") as fh:
            while block := fh.read(_SCAN_BLOCK):
                at = block.find(b"\0")
                if at >= 0:
                    raise InvalidTable(
                        f"{label}: byte {seen + at + 1:,} is a NUL byte, which no CSV text holds (a sparse, zero-filled "
                        "or binary file?). Fix: export the table again as UTF-8 CSV, or give a Parquet file."
                    )
                seen += len(block)
                if seen * MEMORY_PER_BYTE > bound:
                    raise _too_big(label, seen, bound, "text read so far")
    except OSError as e:
        raise _unreadable(label, e, "a complete, uncorrupted CSV or gzip file") from e
    except (EOFError, zlib.error) as e:
        raise InvalidTable(f"{label}: cannot be read ({e}). Fix: check the file is a complete, uncorrupted CSV or gzip file.") from e


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    _scan_csv(path, label)
    sep = _sniff(path, label)
    frame = _read_csv_fast(path, sep)
    if frame is not None:
        return frame
    try:
        return pd.read_csv(path, sep=sep, encoding="utf-8-sig", low_memory=False)
    except UnicodeDecodeError as e:
        raise InvalidTable(
            f"{label}: is not UTF-8 text ({e.reason} at byte {e.start}). "
            "Fix: save the file as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet; GBK/GB18030 files need re-encoding)."
        ) from e
    except pd.errors.EmptyDataError as e:
        raise InvalidTable(f"{label}: the file is empty. Fix: write a header row naming the columns, then one row per record.") from e
    except (pd.errors.ParserError, ValueError, OSError, EOFError, zlib.error) as e:
        raise InvalidTable(
            f"{label}: cannot be parsed as CSV ({e}). Fix: give every row the same number of {sep!r}-separated fields "
            "as the header, and quote fields that contain the separator."
        ) from e


def _first(s: pd.Series) -> object:
    at = s.first_valid_index()
    return None if at is None else s.loc[at]


def _read_parquet(path: Path, label: str) -> pd.DataFrame:
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise _unreadable(label, e, "a complete Parquet file") from e
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except (OSError, ValueError):
        size = 0  # unreadable metadata: pandas below names the problem
    bound = memory_bound()
    if size * MEMORY_PER_BYTE > bound:
        raise _too_big(label, size, bound, "uncompressed size")
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
        raise InvalidTable(
            f"{label}: cannot be read as Parquet ({e}). Fix: the file is truncated, corrupt or not Parquet; export it again."
        ) from e


def read_table(obj: object, role: str) -> tuple[pd.DataFrame, str]:
    """Read ``obj`` (a path or a DataFrame) into a DataFrame and its label for messages."""
    if isinstance(obj, pd.DataFrame):
        return obj, f"<DataFrame {role}>"
    if not isinstance(obj, (str, os.PathLike)):
        raise InvalidArgument(
            f"{role} = {type(obj).__name__} object; pass a path to a {'/'.join(TABLE_SUFFIXES)} file or a pandas DataFrame"
        )
    path, label = Path(obj), str(obj)
    lower = path.name.lower()
    suffix = next((s for s in TABLE_SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        raise InvalidTable(f"{label}: unknown file type. Fix: give a file ending in {', '.join(TABLE_SUFFIXES)}.")
    if not path.is_file():
        raise InvalidTable(f"{label}: no such file. Fix: check the path of the {role} table.")
    return (_read_parquet if suffix in (".parquet", ".pq") else _read_csv)(path, label), label
