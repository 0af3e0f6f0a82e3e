"""The Pangolin plugin's test helpers, for the repository's tests that meet the plugin (serve's
routes, the newcomer's walk): loaded by path, since the plugin's tests folder is no package."""

import importlib.util

from .paths import REPO

PLUGIN_TESTS = REPO / "plugins" / "spliceannot-pangolin" / "tests"


def pangolin_helpers():
    """``plugins/spliceannot-pangolin/tests/pangolin_helpers.py`` as a module."""
    spec = importlib.util.spec_from_file_location("pangolin_helpers",
                                                  PLUGIN_TESTS / "pangolin_helpers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
