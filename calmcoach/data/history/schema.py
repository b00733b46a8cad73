"""The history file's schema: its tables, the steps that build them, and whose file it is.

The schema is versioned with ``PRAGMA user_version``: step N of :data:`MIGRATIONS`
takes a file from version N-1 to N, each in a transaction of its own, and a file is
marked as calmcoach's with ``PRAGMA application_id``. Steps are only ever added at
the end; an existing step never changes, since files out there were built with it.

Pure standard library (sqlite3).
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x63616C6D
"""'calm': marks the file as calmcoach's (PRAGMA application_id)."""

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, written at start and updated at each boundary.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        exercise_id TEXT NOT NULL,
        title TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'stopped', 'interrupted')),
        planned_seconds REAL NOT NULL,
        seconds_done REAL NOT NULL DEFAULT 0,
        cycles_done INTEGER NOT NULL DEFAULT 0,
        steps_done INTEGER NOT NULL DEFAULT 0,
        pid INTEGER
    );
    CREATE INDEX sessions_started ON sessions (started_at);
    """,
    # 2: ratings and body area on sessions, and the flare journal.
    """
    ALTER TABLE sessions ADD COLUMN area TEXT;
    ALTER TABLE sessions ADD COLUMN rating_before INTEGER CHECK (rating_before BETWEEN 0 AND 10);
    ALTER TABLE sessions ADD COLUMN rating_after INTEGER CHECK (rating_after BETWEEN 0 AND 10);
    CREATE TABLE flares (
        id INTEGER PRIMARY KEY,
        logged_at TEXT NOT NULL,
        area TEXT NOT NULL,
        intensity INTEGER NOT NULL CHECK (intensity BETWEEN 0 AND 10),
        triggers TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX flares_logged ON flares (logged_at);
    """,
    # 3: seconds_done is now the time really spent running (pauses, suspends and skipped
    # spans left out); position_seconds is how far through the timeline it got. Older rows
    # only knew the position, so it stands for both there.
    """
    ALTER TABLE sessions ADD COLUMN position_seconds REAL;
    UPDATE sessions SET position_seconds = seconds_done;
    """,
)

NUDGES_MIGRATION = """
    CREATE TABLE nudges (
        id INTEGER PRIMARY KEY,
        shown_at TEXT NOT NULL,
        via TEXT NOT NULL,
        answer TEXT CHECK (answer IN ('started', 'snoozed', 'skipped', 'ignored')),
        answered_at TEXT
    );
    CREATE INDEX nudges_shown ON nudges (shown_at);
    """
"""The reminder's nudges to move and how each was answered (``calmcoach remind``).

Its own step, added after the others: the number it gets is its place in MIGRATIONS."""

MIGRATIONS += (NUDGES_MIGRATION,)
MIGRATIONS += (
    # 5: the breath measured from the person's taps before a tapped start (seconds; NULL
    # when none was measured or the exercise has no tapped start).
    "ALTER TABLE sessions ADD COLUMN start_pace REAL;",
)
SCHEMA_VERSION = len(MIGRATIONS)

NUDGE_ANSWERS = ("started", "snoozed", "skipped", "ignored")
"""How a nudge can be answered: its action taken, put off, turned down, or left alone."""


def file_version(db: sqlite3.Connection) -> int:
    """The file's schema version (0 for a new, empty file).

    Raises ``sqlite3.DatabaseError`` for a database that belongs to another program
    (another application id, or tables with no calmcoach version); a version newer
    than :data:`SCHEMA_VERSION` is returned as it is, for the caller to refuse."""
    # One read transaction, so the three reads see one state of the file: read one by
    # one, another instance creating the tables in between made a new file look like
    # another program's (and moved aside as damaged).
    own = not db.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        tables = db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    finally:
        if own and db.in_transaction:  # an error may have ended it already
            db.execute("COMMIT")
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables and version == 0):
        raise sqlite3.DatabaseError("file is not a database: it belongs to another program")
    return version


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a file at schema ``version`` up to :data:`SCHEMA_VERSION`, one step at a time.

    Each step runs in its own immediate transaction and is skipped when another
    instance took the file past it meanwhile. ``db`` must be in autocommit mode
    (``isolation_level=None``)."""
    for number in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            current = db.execute("PRAGMA user_version").fetchone()[0]
            if current >= number:  # another instance migrated meanwhile
                db.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
