"""The history (sessions, flares, nudges) in one SQLite file: imports the standard library, data, domain.

Holds the store and what it stands on; imports only the standard library, ``data`` and
``domain``. From the top down:

- :mod:`~calmcoach.data.history.store`: the :class:`History` callers open, writing and
  reading its rows;
- :mod:`~calmcoach.data.history.opening`: opening the file (rights, locks, damage,
  read-only) and counting this process's connections to it;
- :mod:`~calmcoach.data.history.catch_up`: writing the sessions an earlier run kept;
- :mod:`~calmcoach.data.history.records`: the rows as records, read field by field;
- :mod:`~calmcoach.data.history.schema`: the tables, the migrations between schema versions,
  and whose file it is;
- :mod:`~calmcoach.data.history.stats`: the summaries the stats screen shows;
- :mod:`~calmcoach.data.history.pending`: sessions kept for the next start when a lock
  kept them out;
- :mod:`~calmcoach.data.history.trouble`: what went wrong, in plain words;
- :mod:`~calmcoach.data.history.reading`: reading one value the file holds, for both the
  records and the summaries.

The names callers use are here too, so ``from calmcoach.data.history import History`` works.
"""

from calmcoach.data.history.records import FlareRecord, NudgeRecord, SessionRecord, utcnow
from calmcoach.data.history.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    NUDGE_ANSWERS,
    NUDGES_MIGRATION,
    SCHEMA_VERSION,
)
from calmcoach.data.history.stats import Stats
from calmcoach.data.history.store import TRIGGERS, History, OpenResult, iter_rows
from calmcoach.data.history.trouble import HistoryUnavailable, Trouble

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
