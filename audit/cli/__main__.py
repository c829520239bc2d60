"""``python -m audit.cli``: the ``scs-audit`` command."""

from audit.cli.commands import main

raise SystemExit(main())
