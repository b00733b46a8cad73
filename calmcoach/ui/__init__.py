"""The Textual app, a thin shell: imports Textual, Rich, services and below; never cli, desktop, remind."""
