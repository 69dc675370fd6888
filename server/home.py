"""The data folder: where the server keeps its database, secret key, config and backups.

Never inside the installed package or the virtual environment (recreating a venv — a routine
step — must not delete a commune's households). The folder is, in order:

1. `$POVCENSUS_INSTANCE_PATH` (the older name, kept for tests and existing installs);
2. `$POVCENSUS_HOME`;
3. the per-user data directory: `$XDG_DATA_HOME/povcensus/server`, i.e.
   `~/.local/share/povcensus/server` on Linux (macOS: `~/Library/Application Support/…`,
   Windows: `%LOCALAPPDATA%\\povcensus\\server`) — beside the sync client's store, and the same
   whatever the working directory.

It is created readable by its owner only (0700): it holds every household's answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

HOME_ENV = "POVCENSUS_HOME"
INSTANCE_ENV = "POVCENSUS_INSTANCE_PATH"


def user_data_dir() -> Path:
    """The platform's per-user data directory (the same rule as the sync client's store)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def default_home() -> Path:
    """The data folder when neither environment variable names one."""
    return user_data_dir() / "povcensus" / "server"


def data_home(explicit: str | None = None) -> Path:
    """The data folder to use (absolute): `explicit`, else the environment, else the default."""
    chosen = explicit or os.environ.get(INSTANCE_ENV) or os.environ.get(HOME_ENV)
    return Path(chosen).expanduser().resolve() if chosen else default_home()


def ensure_private_dir(path: Path) -> Path:
    """Create the folder (and its parents) if needed; a folder created here is 0700."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
    return path


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies in `folder` (both resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def announce(app: Any) -> None:
    """Say once, on stderr (machine output on stdout stays clean), which data a command uses."""
    print(
        f"povcensus: data folder {app.instance_path} (database {app.config['DATABASE']})",
        file=sys.stderr,
        flush=True,
    )


# Tables counted by `povcensus info` (those that exist in this database).
_COUNTED = ("submissions", "households", "household_versions", "scores", "quarantine", "users",
            "devices")  # fmt: skip


def instance_info(app: Any, db: Any) -> dict[str, Any]:
    """What `povcensus info` shows: folder, database, size, schema version, counts, rounds."""
    from server.db import applied_migrations

    database = Path(app.config["DATABASE"])
    size = sum(
        Path(f"{database}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{database}{suffix}").exists()
    )
    migrations = applied_migrations(db)
    tables = set(db.table_names())
    counts = {
        name: db.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]  # noqa: S608 (fixed names)
        for name in _COUNTED
        if name in tables
    }
    rounds = [
        {"label": label, "standard": standard, "status": status, "households": households}
        for label, standard, status, households in db.execute(
            "SELECT r.label, r.standard, r.status,"
            " (SELECT count(*) FROM households h WHERE h.round_id = r.id)"
            " FROM review_rounds r ORDER BY r.id"
        ).fetchall()
    ]
    return {
        "folder": app.instance_path,
        "database": str(database),
        "size_bytes": size,
        "schema_version": migrations[-1] if migrations else None,
        "migrations": len(migrations),
        "counts": counts,
        "rounds": rounds,
    }
