"""The ``rsu`` command: one module per subcommand, listed in ``rsu.cli.main``."""
