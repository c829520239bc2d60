"""Imports put off until first use (audit/lazy.py): lazy modules, and a command that never loads numba."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit.lazy import LazyModule, lazy_module


def _python(code: str, *args: str, cwd=None) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_lazy_module_is_imported_when_an_attribute_is_first_read():
    code = (
        "import sys; from audit.lazy import lazy_module; k = lazy_module('audit.sample_kernels'); "
        "print('audit.sample_kernels' in sys.modules, repr(k).endswith('not imported yet>')); "
        "f = k.hashed_below; print('audit.sample_kernels' in sys.modules, f is sys.modules['audit.sample_kernels'].hashed_below, "
        "repr(k).endswith(', imported>'))"
    )
    assert _python(code) == ["False", "True", "True", "True", "True"]


def test_a_lazy_module_reads_the_module_each_time(monkeypatch):
    """A function replaced in the module (as tests do) is what every caller through the lazy module gets."""
    import audit.randomness as randomness

    lazy = lazy_module("audit.randomness")
    assert isinstance(lazy, LazyModule)
    assert lazy.stream_id("x") == randomness.stream_id("x")
    monkeypatch.setattr(randomness, "stream_id", lambda name: -1)
    assert lazy.stream_id("x") == -1


def test_a_missing_attribute_or_module_raises_as_an_import_would():
    with pytest.raises(AttributeError, match="no_such_name"):
        lazy_module("audit.randomness").no_such_name  # noqa: B018
    with pytest.raises(ModuleNotFoundError, match="audit.no_such_module"):
        lazy_module("audit.no_such_module").anything  # noqa: B018


def test_the_command_never_loads_numba_when_workers_score(tmp_path):
    """The command imports the generator, the scorers and the audits for their classes; their kernels stay unloaded.

    numba with llvmlite and the kernels' dispatchers was about 60-120 MiB of the
    command's memory (docs/scale.md, Peak memory); the workers, forked from the
    forkserver that loaded them, do all the compiled work.
    """
    code = (
        "import sys\n"
        "if __name__ == '__main__':\n"
        "    from audit.cli.commands import main\n"
        "    rc = main(sys.argv[1:])\n"
        "    print(rc, sorted(m for m in sys.modules if m == 'numba' or m.endswith('_kernels') or '_kernels.' in m))\n"
    )
    out = _python(code, "run", "--size", "3000", "--workers", "2", "--epsilon", "1", "--quiet",
                  "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert out == ["0", "[]"]
