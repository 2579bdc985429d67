"""One module per subcommand: ``register(parser)`` and ``run(args) -> int``."""
