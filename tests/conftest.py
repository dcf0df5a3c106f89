"""Suite-wide rules.

A test that needs a Redis server and finds none is skipped, with the reason naming what
to install, instead of erroring: ``RedisServer`` raises :class:`RedisServerMissing` from
wherever it is started (a fixture, a helper, the test itself), and this turns it into a
skip. Only that test is skipped; tests beside it that need no server still run. CI
(``.ci/run``) then fails the run for any skip whose reason is not on its allowed list, so
a missing server can never pass there unnoticed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.integration.farm_helpers import RedisServerMissing


def _skip_without_redis() -> Generator[None, object, object]:
    try:
        return (yield)
    except RedisServerMissing as exc:
        raise pytest.skip.Exception(str(exc), _use_item_location=True) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _skip_without_redis())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _skip_without_redis())
