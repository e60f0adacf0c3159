"""Neutral presentation helpers shared by the web app, the CLI and reports: chart specs,
tables as CSV text. Nothing here knows a capability."""
