"""``python -m hil``: the same as ``rsu-hil``."""

from hil.cli import main

raise SystemExit(main())
