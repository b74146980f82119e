"""Settings from environment variables and ``.env`` (pydantic-settings).

A bad or missing setting must stop start-up with one line naming the variable, so ``load_settings``
turns pydantic's validation error into ``SettingsError`` with a readable message.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(BaseSettings):
    """All runtime configuration; every field maps to an upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///var/bot.db"
    #: PostgreSQL only: the schema to use (search_path), so several bots or test runs share a database
    database_schema: str | None = None
    telegram_api_url: str | None = None
    staff_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = "zh"
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    max_concurrent_updates: int = Field(default=32, ge=1, le=1000)
    log_level: str = "INFO"
    #: None: a random salt is generated on first start and kept beside the database (``with_hash_salt``)
    hash_salt: SecretStr | None = None
    #: the staff console's address as staff reach it (setup links printed by ``staff add`` start with it)
    console_url: str = "http://127.0.0.1:8081"
    #: the console stands behind a reverse proxy that sets X-Forwarded-For / X-Forwarded-Proto
    console_trust_proxy: bool = False

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            ids = [p for p in parts if p]
            for p in ids:
                channel, _, ident = p.rpartition(":")
                if channel and not channel.isalpha():
                    raise ValueError(f"staff id {p!r}: channel must be letters, e.g. telegram:12345")
                if not ident or not ident.replace("-", "").replace("_", "").isalnum():
                    raise ValueError(f"staff id {p!r} is not an id (digits, or channel:id)")
            return ids
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if not value.startswith(allowed):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("database_schema")
    @classmethod
    def _check_schema(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value.strip()):
            raise ValueError("must be a PostgreSQL schema name: lower-case letters, digits and _ (not first)")
        return value.strip()

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        raw = value.get_secret_value().strip()
        head, _, tail = raw.partition(":")
        if not head.isdigit() or not tail or " " in raw:
            raise ValueError("must look like 123456:ABC... (digits, colon, secret)")
        return SecretStr(raw)

    @field_validator("hash_salt")
    @classmethod
    def _check_salt(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value


def load_settings(**overrides: object) -> Settings:
    """Build settings, converting validation errors into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            lines.append(f"setting {name}: {err['msg']}")
        raise SettingsError("; ".join(lines)) from None


# ---- the salt for hashed identifiers ---------------------------------------------------------------
log = logging.getLogger(__name__)
SALT_BYTES = 32
#: where the salt of a PostgreSQL database is kept when HASH_SALT is not set (relative to the
#: working directory, like the default SQLite file)
SALT_DIR = Path("var")


def salt_file(database_url: str) -> Path | None:
    """Where the generated salt of this database lives; None for an in-memory database.

    SQLite: beside the database file (``bot.db`` → ``bot.db.salt``), so copying the directory backs
    both up while a copy of the database file alone does not carry the key to its hashes.
    PostgreSQL: a file under ``var/`` named after host, port and database. Not in a table: a dump
    would then hold the salt next to the hashes it protects. Several machines on one database must
    therefore set HASH_SALT (the same value everywhere).
    """
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return None
        return Path(database).with_name(Path(database).name + ".salt")
    name = f"{url.host or 'localhost'}-{url.port or 5432}-{url.database or ''}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return SALT_DIR / f"hash_salt-{safe}"


def _read_salt(path: Path) -> str | None:
    """The salt in ``path``; waits a moment for a file another process is still writing."""
    for _ in range(50):
        try:
            value = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        if value:
            return value
        time.sleep(0.02)
    raise SettingsError(f"setting HASH_SALT: {path} is empty; delete it or set HASH_SALT")


def _create_salt(path: Path) -> str:
    """Write a new random salt with mode 600. Two processes starting together agree on one salt:
    the file is written under a temporary name and published with ``link``, which fails if the
    other process published first (then its salt is used)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(SALT_BYTES)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            existing = _read_salt(path)
            if existing:
                return existing
            raise
    finally:
        temp.unlink(missing_ok=True)
    log.warning(
        "HASH_SALT is not set: generated a random salt in %s (mode 600). Back it up with the database; "
        "without it bound applicants must bind again. Set HASH_SALT to choose the salt yourself.",
        path,
    )
    return value


def with_hash_salt(settings: Settings) -> Settings:
    """Settings with ``hash_salt`` filled: HASH_SALT when set, else the salt kept beside the
    database, generated on first start. There is no public default: with one, anybody holding a
    copy of the database could recover the four ID characters behind each hash in a fraction of a
    second (10,000 candidates per application)."""
    if settings.hash_salt is not None:
        return settings
    path = salt_file(settings.database_url)
    if path is None:
        value = secrets.token_urlsafe(SALT_BYTES)  # an in-memory database lives as long as the process
    else:
        try:
            value = _read_salt(path) or _create_salt(path)
        except OSError as exc:
            raise SettingsError(f"setting HASH_SALT: not set, and {path} cannot be used ({exc.strerror}); set HASH_SALT") from None
    return settings.model_copy(update={"hash_salt": SecretStr(value)})


def salt_warning(settings: Settings) -> str | None:
    """What ``python -m bot check`` says when HASH_SALT is not set explicitly (None when it is)."""
    if settings.hash_salt is not None:
        return None
    path = salt_file(settings.database_url)
    where = f"the generated salt in {path}" if path else "a random salt per process (in-memory database)"
    return f"HASH_SALT is not set: the bot uses {where}; set HASH_SALT (and keep it with your backups)"
