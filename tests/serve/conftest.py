"""Fixtures the serve tests share."""

import pytest

from support.paths import DATA


@pytest.fixture(scope="module")
def tiny():
    """The tiny test models of tests/data/plugins, registered for one module: name 'tiny-dir'."""
    from spliceannot import registry
    from spliceannot.plugins import get_plugin_manager, load_plugins_dir

    names = load_plugins_dir(DATA / "plugins")
    yield "tiny-dir"
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()
