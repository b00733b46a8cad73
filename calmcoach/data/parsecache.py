"""The parse cache: what tomllib returned for exercise files seen in earlier runs.

Pure: reads and writes its one JSON file, never imports the UI or audio.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

from calmcoach.data.safefile import RefusedFile, read_limited, write_atomic
from calmcoach.domain.visible import visible

MAX_CACHE_BYTES = 32 * 1024 * 1024
"""A parse cache larger than this is not read (it is rebuilt, smaller)."""


class ParseCache:
    """Parsed TOML of exercise files from earlier runs, keyed by checksums of each file's bytes.

    tomllib is most of the time it takes to load a large library (about 0.12 ms for a
    small file); this keeps what it returned as JSON, so an unchanged file is only read
    and checksummed. The key comes from the file's content, so an edit is not missed,
    whatever its timestamps say. Every check still runs on the cached tables: the library loaded is
    the same with or without a cache. A cache that cannot be read is ignored and
    rebuilt; one that cannot be written is simply not kept.
    """

    VERSION = 2

    def __init__(self, path: Path | None) -> None:
        self.path = path
        """The JSON file (None: keep nothing between runs)."""
        self._entries: dict[str, Any] = {}
        self._used: set[str] = set()
        self._changed = False
        self.problem: str | None = None
        """Why a cache file that is there was not read, when that is worth telling: it is
        not a regular file (a FIFO, a device...) or too large. It is replaced on save."""
        if path is None:
            return
        try:
            raw = read_limited(path, MAX_CACHE_BYTES)
        except RefusedFile as error:
            self.problem = f"{visible(str(path))} {error}; calmcoach does not read it and will replace it"
            return
        except OSError:  # missing or unreadable: rebuilt, as if deleted
            return
        try:
            stored = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # damaged or nested past json's limit: rebuilt
            return
        if isinstance(stored, dict) and stored.get("version") == self.VERSION:
            files = stored.get("files")
            if isinstance(files, dict):
                self._entries = files

    @staticmethod
    def key(raw: bytes) -> str:
        """The cache key of a file with these bytes: its size and two checksums (64 bits).

        Not a cryptographic hash: the cache is the user's own, with no one to forge it,
        and hashlib would load OpenSSL (over half a MiB of memory) into the app."""
        return f"{len(raw):x}-{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"

    def get(self, key: str) -> dict[str, Any] | None:
        """The parsed tables stored for this key, if any (never to be modified)."""
        data = self._entries.get(key)
        if not isinstance(data, dict):
            return None
        self._used.add(key)
        return data

    def put(self, key: str, data: dict[str, Any]) -> None:
        """Keep freshly parsed tables (any with dates or times, not JSON, are left out on save)."""
        self._entries[key] = data
        self._used.add(key)
        self._changed = True

    def save(self) -> None:
        """Write the entries used by this load (and only those), if anything changed."""
        if self.path is None or (not self._changed and self._used == set(self._entries)):
            return
        entries = {key: value for key, value in self._entries.items() if key in self._used}
        try:
            text = json.dumps({"version": self.VERSION, "files": entries})
        except (TypeError, ValueError, RecursionError):  # a file with a date: keep all the others
            entries = {key: value for key, value in entries.items() if _is_json(value)}
            text = json.dumps({"version": self.VERSION, "files": entries})
        try:
            write_atomic(self.path, text.encode("utf-8"))
        except OSError:
            return
        self._entries, self._changed = entries, False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True
