"""The repository root: pytest finds the project's rootdir and configuration here.

Kept thin on purpose. The suite's own wiring is in ``checks/conftest.py``; the tests' fixtures
(and pytester, which only the tests load) are in ``tests/conftest.py``: nothing here reaches a
user's ``pytest checks/`` run.
"""
