"""Command-line interface (Typer); every command has --json."""
