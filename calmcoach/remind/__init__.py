"""``calmcoach remind`` (nudges and the tray), a shell: imports services and below, never Textual or audio.

A shell of its own, beside the CLI and the app: it schedules nudges, shows them
through the desktop's notification service (or a fallback), and never imports Textual,
so it stays small enough to run all day.
"""
