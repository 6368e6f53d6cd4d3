import pytest

import seclib


@pytest.fixture(scope="session")
def broker():
    """The security tests' own secured broker, fresh for the session and stopped after it;
    without it they fail, never skip."""
    secured = seclib.SecuredBroker()
    try:
        secured.start()
        yield secured
    finally:
        secured.stop()


@pytest.fixture(scope="session")
def figures():
    """What each run did (exit code, seconds, the message), printed and written to
    <build>/security-figures.txt at the end: the report's source."""
    lines = []
    yield lines
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    (seclib.BUILD_DIR / "security-figures.txt").write_text(text)
