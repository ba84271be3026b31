"""Rate-limit counters in an SQLite file, shared by every worker process on one machine.

The embedded default for Flask-Limiter (through the ``limits`` package's storage registry): with
several gunicorn workers and no Redis, in-memory counters would let each worker allow the whole
limit. One small table in the instance folder, updated in single atomic statements (WAL, a busy
timeout), counts across them. With REDIS_URL set, Redis does this instead and this is not used.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from limits.storage import Storage

#: The URI scheme that names this storage: cop+sqlite:///absolute/path/ratelimits.sqlite3
SCHEME = "cop+sqlite"


class SqliteCounterStorage(Storage):
    """Fixed-window counters (the strategy cop uses) kept in one SQLite table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlsplit(uri).path
        self._local = threading.local()
        with self._connection() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Autocommit: every statement below is one atomic step, so no transaction is held between them.
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=5000")
            self._local.conn = conn
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to a key's count, starting a new window when the old one has ended; the count afterwards."""
        now = time.time()
        conn = self._connection()
        if random.random() < 0.01:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        row = conn.execute(
            "INSERT INTO counters (key, count, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN counters.expires_at <= ? THEN excluded.count ELSE counters.count + excluded.count END, "
            "expires_at = CASE WHEN counters.expires_at <= ? THEN excluded.expires_at ELSE counters.expires_at END "
            "RETURNING count",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute("SELECT expires_at FROM counters WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
