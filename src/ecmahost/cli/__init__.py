"""The `ecmahost` command line: a Typer app (`cli.main.app`) with one sub-app per module."""
