"""Fixtures every layer may use. Database and app fixtures are in ``tests/integration/conftest.py``
(and the few e2e needs in ``tests/e2e/conftest.py``), so unit tests cannot reach them."""

from __future__ import annotations

import pytest

from tests.support.helpers import make_clock


@pytest.fixture
def clock():
    return make_clock()
