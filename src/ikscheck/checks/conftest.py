"""The suite's root: a run that collects checks/ gets ikscheck's results and reports."""

import pytest

from ikscheck import pytest_plugin


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    pytest_plugin.activate(config)
