"""``python -m audit.cli``: the ``scs-audit`` command."""

from audit.cli.commands import main

if __name__ == "__main__":  # importing the module (documentation, import checks) runs nothing
    raise SystemExit(main())
