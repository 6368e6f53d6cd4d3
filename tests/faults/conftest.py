import pytest

import faultlib


@pytest.fixture(scope="session", autouse=True)
def faults_broker():
    """The fault tests' own broker (never the shared one on 9092): started, or brought back
    after a test that killed it; without it they fail, never skip."""
    faultlib.broker_start()


@pytest.fixture(autouse=True)
def cleanup():
    """After each test, whatever its outcome: no job process left (a failed zombie test would
    leave one SIGSTOPped forever), and the broker up again for the next test (a failed outage
    test may leave it down)."""
    yield
    faultlib.kill_leftovers()
    faultlib.broker_start()


@pytest.fixture
def logs(tmp_path):
    return tmp_path
