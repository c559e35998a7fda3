"""Where dlproof keeps its state, and the one way to open its SQLite database.

The data directory is ``$DLPROOF_HOME`` when set, else ``$XDG_DATA_HOME/dlproof`` (default
``~/.local/share/dlproof``). Everything persistent lives in ``dlproof.sqlite3`` there: review cards
and logs (``dlproof.study``) and the experiment run cache (``dlproof.experiments``); figures go to
``figures/`` beside it.

SQLite runs in WAL mode with ``synchronous=FULL``: a transaction that returned from ``commit`` is on
disk, so a ``kill -9`` at any later moment loses nothing completed, and several processes may read
and write at once (writers wait up to ``busy_timeout`` instead of failing).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

DB_NAME = "dlproof.sqlite3"


def data_dir() -> Path:
    """The user's dlproof data directory (created on first use)."""
    home = os.environ.get("DLPROOF_HOME")
    if home:
        path = Path(home).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(xdg) / "dlproof"
    path.mkdir(parents=True, exist_ok=True)
    return path


def figures_dir() -> Path:
    path = data_dir() / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def connect(path: Path | None = None, timeout_s: float = 30.0) -> sqlite3.Connection:
    """Open the store with the durability settings every writer must use.

    Callers use ``with conn:`` blocks for transactions, so a failure rolls back as a whole.
    """
    db = Path(path) if path is not None else data_dir() / DB_NAME
    conn = sqlite3.connect(db, timeout=timeout_s, isolation_level="DEFERRED")
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def ensure_schema(conn: sqlite3.Connection, ddl: str) -> None:
    """Create tables/indexes with ``CREATE ... IF NOT EXISTS`` statements (idempotent)."""
    with conn:
        conn.executescript(ddl)
