"""Users, their communes, device tokens, and the audit log.

Passwords are hashed with argon2 (slow on purpose: people choose guessable passwords).
Device tokens are 256-bit random strings shown once; the database keeps their sha256 only. A
random token of that size cannot be guessed or brute-forced, so a fast hash is safe and lets
every sync request find its device by one indexed lookup (argon2 on each of 200 posts a second
would cost more than the work itself).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.db import transaction, utcnow

ROLES = ("enumerator", "commune", "province", "admin")
TOKEN_PREFIX = "pvc_"
_hasher = PasswordHasher()


class UserError(ValueError):
    """A user or token operation cannot be done (unknown user, bad role, unknown commune...)."""


@dataclass(frozen=True)
class User:
    """A person who signs in (web) or syncs (through one of their devices)."""

    id: int
    username: str
    role: str
    display_name: str | None = None
    active: bool = True
    communes: tuple[str, ...] = ()  # assigned communes (enumerator, commune roles)
    device_id: int | None = field(default=None, compare=False)  # set when authenticated by token
    device_name: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "active": self.active,
            "communes": list(self.communes),
        }


def hash_password(password: str) -> str:
    from server.security import password_hash_slot

    with password_hash_slot():
        return _hasher.hash(password)


# The minimum password policy for people's web passwords (checked where a person sets one:
# `povcensus users add` / `users passwd`; docs/server.md "Security model").
MIN_PASSWORD_LENGTH = 10
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "1111111111",
        "qwertyuiop",
        "password123",
        "passwordpassword",
        "matkhau123",
        "matkhau1234",
        "matkhaumoi",
        "abc1234567",
        "admin12345",
        "administrator",
        "vietnam123",
        "hanoi12345",
    }
)


def check_password_policy(password: str, username: str = "") -> None:
    """Raise UserError (Vietnamese and English) unless the password meets the minimum policy:
    at least MIN_PASSWORD_LENGTH characters, not the user name, not one repeated character,
    not a well-known password."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            (
                f"mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự",
                f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
            )
        )
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(
            ("mật khẩu không được chứa tên đăng nhập", "the password must not contain the username")
        )
    if len(set(password)) < 4 or lowered in _COMMON_PASSWORDS:
        problems.append(("mật khẩu quá dễ đoán", "the password is too easy to guess"))
    if problems:
        vi = "; ".join(p[0] for p in problems)
        en = "; ".join(p[1] for p in problems)
        raise UserError(f"Mật khẩu không đạt yêu cầu: {vi}. / Password refused: {en}.")


def set_password(db: sqlite_utils.Database, username: str, password: str) -> None:
    """Change a user's web password (policy checked); signs out all their web sessions."""
    check_password_policy(password, username)
    hashed = hash_password(password)
    with transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE users SET password_hash = ?, session_generation = session_generation + 1"
            " WHERE username = ?",
            [hashed, username],
        )
        if cursor.rowcount == 0:
            raise UserError(f"no user {username!r}")


def session_generation(db: sqlite_utils.Database, user_id: int) -> int | None:
    """The user's current web-session generation (None: no such active user). A session
    cookie carries the generation it was issued under; bumping it revokes every cookie."""
    row = db.execute(
        "SELECT session_generation FROM users WHERE id = ? AND active = 1", [user_id]
    ).fetchone()
    return None if row is None else row[0]


def end_sessions(db: sqlite_utils.Database, user_id: int) -> None:
    """Sign the user out everywhere (logout, disable, password change)."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE users SET session_generation = session_generation + 1 WHERE id = ?", [user_id]
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    db: sqlite_utils.Database,
    username: str,
    *,
    role: str,
    password: str | None = None,
    communes: list[str] | tuple[str, ...] = (),
    display_name: str | None = None,
) -> User:
    """Add a user; communes must exist in the communes table. Raises UserError."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not username or len(username) > 64:
        raise UserError("username must be 1–64 characters")
    _check_communes(db, communes)
    with transaction(db) as conn:
        if conn.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError(f"user {username!r} already exists")
        cursor = conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [username, display_name, role, hash_password(password) if password else None, utcnow()],
        )
        conn.executemany(
            "INSERT INTO user_communes (user_id, commune_code) VALUES (?, ?)",
            [(cursor.lastrowid, code) for code in communes],
        )
    return get_user(db, username)


def _check_communes(db: sqlite_utils.Database, communes) -> None:
    for code in communes:
        if not db.execute("SELECT 1 FROM communes WHERE code = ?", [code]).fetchone():
            raise UserError(f"unknown commune code {code!r} (not in this server's province)")


def get_user(db: sqlite_utils.Database, username_or_id: str | int) -> User | None:
    """The user by username (str) or id (int), or None."""
    column = "id" if isinstance(username_or_id, int) else "username"
    row = db.execute(
        f"SELECT id, username, role, display_name, active FROM users WHERE {column} = ?",
        [username_or_id],
    ).fetchone()
    if row is None:
        return None
    communes = tuple(
        r[0]
        for r in db.execute(
            "SELECT commune_code FROM user_communes WHERE user_id = ? ORDER BY commune_code",
            [row[0]],
        )
    )
    return User(row[0], row[1], row[2], row[3], bool(row[4]), communes)


def list_users(db: sqlite_utils.Database) -> list[User]:
    ids = [r[0] for r in db.execute("SELECT id FROM users ORDER BY username")]
    return [get_user(db, user_id) for user_id in ids]


def set_active(db: sqlite_utils.Database, username: str, active: bool) -> User:
    """Disable (or enable) a user; a disabled user's devices stop working at once."""
    with transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE users SET active = ?, session_generation = session_generation + 1"
            " WHERE username = ?",
            [int(active), username],
        )
        if cursor.rowcount == 0:
            raise UserError(f"no user {username!r}")
    return get_user(db, username)


def authenticate_password(db: sqlite_utils.Database, username: str, password: str) -> User | None:
    """The active user when the password matches, else None (same answer for unknown users)."""
    from server.security import password_hash_slot

    row = db.execute(
        "SELECT password_hash FROM users WHERE username = ? AND active = 1", [username]
    ).fetchone()
    try:
        with password_hash_slot():  # raises HashingBusy when too many wait
            if row is None or not row[0]:
                _hasher.hash(password)  # same time whether or not the user exists
                return None
            _hasher.verify(row[0], password)
    except (VerificationError, InvalidHashError):
        return None
    return get_user(db, username)


def issue_token(
    db: sqlite_utils.Database, username: str, device_name: str, *, days: int | None = None
) -> tuple[int, str]:
    """A new device token for the user: (device id, token), valid `days` days (None: until
    revoked). The token is not stored, only its hash."""
    user = get_user(db, username)
    if user is None:
        raise UserError(f"no user {username!r}")
    if days is not None and days < 1:
        raise UserError("a token must be valid for at least one day")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None
    if days is not None:
        expires = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")
        expires = expires.replace("+00:00", "Z")
    with transaction(db) as conn:
        cursor = conn.execute(
            "INSERT INTO devices (user_id, name, token_hash, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [user.id, device_name, token_hash(token), utcnow(), expires],
        )
    return cursor.lastrowid, token


def revoke_token(db: sqlite_utils.Database, device_id: int) -> None:
    with transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [utcnow(), device_id],
        )
        if cursor.rowcount == 0:
            raise UserError(f"no active device {device_id}")


def list_devices(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT d.id, d.name, u.username, d.created_at, d.expires_at, d.revoked_at,"
            " d.last_seen_at"
            " FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.id"
        )
    )


def user_for_token(db: sqlite_utils.Database, token: str) -> User | None:
    """The active user owning this unrevoked, unexpired device token (`device_id` set), or None."""
    row = db.execute(
        "SELECT d.id, d.name, u.username FROM devices d JOIN users u ON u.id = d.user_id"
        " WHERE d.token_hash = ? AND d.revoked_at IS NULL AND u.active = 1"
        " AND (d.expires_at IS NULL OR d.expires_at > ?)",
        [token_hash(token), utcnow()],
    ).fetchone()
    if row is None:
        return None
    user = get_user(db, row[2])
    return User(**{**user.__dict__, "device_id": row[0], "device_name": row[1]})


def device_name(db: sqlite_utils.Database, device_id: int) -> str | None:
    row = db.execute("SELECT name FROM devices WHERE id = ?", [device_id]).fetchone()
    return row[0] if row else None


def province_communes(db: sqlite_utils.Database, province: str) -> tuple[str, ...]:
    return tuple(
        r[0]
        for r in db.execute(
            "SELECT code FROM communes WHERE province_code = ? ORDER BY code", [province]
        )
    )


def commune_scope(db: sqlite_utils.Database, user: User, province: str) -> tuple[str, ...]:
    """The communes this user may see and submit for: assigned ones, or the whole province."""
    if user.role in ("province", "admin"):
        return province_communes(db, province)
    return user.communes


def audit(
    db: sqlite_utils.Database,
    action: str,
    *,
    user_id: int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one line to the audit log (logins, user and token changes, exports, ...)."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO audit_log (at, user_id, action, target, details, ip) VALUES (?,?,?,?,?,?)",
            [utcnow(), user_id, action, target, json.dumps(details or {}, ensure_ascii=False), ip],
        )
