import pytest

import kafka_testlib


@pytest.fixture(scope="session", autouse=True)
def broker():
    """Every integration test needs the real local broker; without it they fail, never skip."""
    kafka_testlib.ensure_broker()


@pytest.fixture
def logs(tmp_path):
    return tmp_path
