"""Integration fixtures: the app on each database backend, a chat user, the staff console, the web
chat's test client."""

from __future__ import annotations

from tests.integration.web_client import client  # noqa: F401 - fixture of the web channel tests
from tests.support.app_fixtures import app, backend, sqlite_app, user  # noqa: F401 - fixtures
from tests.support.console_fixtures import console_any_app, console_app, console_server  # noqa: F401 - fixtures
