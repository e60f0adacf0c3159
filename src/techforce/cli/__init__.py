"""Typer command-line client: parses, calls the library, formats. No business rules."""
