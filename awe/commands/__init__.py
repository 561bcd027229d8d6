"""One module per `awe` subcommand, discovered by `awe.cli`; see that module for the contract."""
