"""The local history: sessions, the flare journal and the reminder's nudges, in one SQLite file.

- :mod:`~calmcoach.data.history.schema`: the tables, the migrations between schema versions,
  and whose file it is;
- :mod:`~calmcoach.data.history.store`: opening the file (locks, damage, read-only), writing
  and reading rows;
- :mod:`~calmcoach.data.history.stats`: the summaries the stats screen shows;
- :mod:`~calmcoach.data.history.reading`: reading one value the file holds, for both the
  store and the summaries;
- :mod:`~calmcoach.data.history.pending`: sessions kept for the next start when a lock
  kept them out.

The names callers use are here too, so ``from calmcoach.data.history import History`` works.
"""

from calmcoach.data.history.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    NUDGE_ANSWERS,
    NUDGES_MIGRATION,
    SCHEMA_VERSION,
)
from calmcoach.data.history.stats import Stats
from calmcoach.data.history.store import (
    TRIGGERS,
    FlareRecord,
    History,
    HistoryUnavailable,
    NudgeRecord,
    OpenResult,
    SessionRecord,
    Trouble,
    iter_rows,
    utcnow,
)

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "NUDGES_MIGRATION",
    "NUDGE_ANSWERS",
    "SCHEMA_VERSION",
    "TRIGGERS",
    "FlareRecord",
    "History",
    "HistoryUnavailable",
    "NudgeRecord",
    "OpenResult",
    "SessionRecord",
    "Stats",
    "Trouble",
    "iter_rows",
    "utcnow",
]
