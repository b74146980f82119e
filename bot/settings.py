"""Settings from environment variables and ``.env`` (pydantic-settings).

A bad or missing setting must stop start-up with one line naming the variable, so ``load_settings``
turns pydantic's validation error into ``SettingsError`` with a readable message.
"""

from __future__ import annotations

import re
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
    hash_salt: SecretStr = SecretStr("change-me-in-production")

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
