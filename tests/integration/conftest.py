"""Integration fixtures: the app on each database backend, a chat user, the staff console."""

from __future__ import annotations

from tests.support.app_fixtures import app, backend, sqlite_app, user  # noqa: F401 - fixtures
from tests.support.console_fixtures import console_any_app, console_app, console_server  # noqa: F401 - fixtures
