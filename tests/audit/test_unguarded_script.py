"""A script that calls ``audit.run`` at import with worker processes is told how to fix itself.

Worker processes import the script that started the run (multiprocessing's forkserver); an
unguarded call starts the run again inside each worker, which dies. The error must say so
rather than only blame the harness or the machine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_an_unguarded_script_is_told_to_guard_its_call(tmp_path):
    script = tmp_path / "my_audit.py"
    script.write_text(textwrap.dedent("""
        import audit
        from audit.runner import RunConfig
        audit.run(["suining"], RunConfig(population="tiny", size=70_000, seed=4, workers=2))
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "if my_audit.py calls audit.run at import" in last and 'if __name__ == "__main__":' in last


def test_a_guarded_script_runs(tmp_path):
    script = tmp_path / "my_audit.py"
    script.write_text(textwrap.dedent("""
        import audit
        from audit.engine.contract import AuditOptions
        from audit.runner import RunConfig
        if __name__ == "__main__":
            # two chunks on two workers (the case that needs the guard); no bootstrap or replay sample: only
            # whether the guarded run finishes is asserted
            config = RunConfig(population="tiny", size=70_000, seed=4, workers=2,
                               options=AuditOptions(bootstrap=0, replay_sample=0))
            result = audit.run(["suining"], config)
            print(result.runs[0].error is None)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True"
