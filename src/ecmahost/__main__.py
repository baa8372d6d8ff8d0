"""`python -m ecmahost`: the same CLI as the `ecmahost` command."""

from ecmahost.cli.main import app

app()
