"""Allow ``python -m calmcoach``."""

from calmcoach.cli import main

raise SystemExit(main())
