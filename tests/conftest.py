"""Shared fixtures: the installed spliceai weights, ../shared data (paths: ``support.paths``)."""

import os

import pytest

from support.paths import SHARED, spliceai_installed


def pytest_configure(config):
    # the engine's kernel timings are cached on disk; tests keep theirs out of the user's home
    if "SPLICEANNOT_CACHE" not in os.environ:
        import tempfile

        os.environ["SPLICEANNOT_CACHE"] = tempfile.mkdtemp(prefix="spliceannot-cache-")


@pytest.fixture(scope="session")
def spliceai_model():
    """The built-in ``spliceai`` backend with its five networks loaded once per test session.

    In CI (CI=true) a missing spliceai package is a failure, not a skip: the README's test
    command installs it, so its absence means the setup is broken.
    """
    if not spliceai_installed():
        if os.environ.get("CI"):
            pytest.fail("spliceai 1.3.1 is not installed: pip install --no-deps spliceai==1.3.1")
        pytest.skip("needs the original SpliceAI weights: pip install --no-deps spliceai==1.3.1")
    from spliceannot import registry

    model = registry.models().get("spliceai")
    model.networks()
    return model


@pytest.fixture
def shared_data():
    if not SHARED.is_dir():
        pytest.skip(f"needs the project's ../shared/data beside the checkout ({SHARED} is absent)")
    return SHARED
