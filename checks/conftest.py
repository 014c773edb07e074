"""The suite's root: a run that collects checks/ gets ikscheck's results and reports."""

import pytest

from ikscheck import plugin


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    plugin.activate(config)
