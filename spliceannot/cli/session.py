"""What every scoring command sets up before it runs: warnings on stderr and extra plugins."""

import logging
import sys


def start(quiet: bool, plugins_dir=None) -> None:
    """Send warnings to stderr (only errors with ``quiet``); load ``--plugins-dir`` if given."""
    logging.basicConfig(stream=sys.stderr, format="spliceannot: warning: %(message)s",
                        level=logging.ERROR if quiet else logging.WARNING)
    if plugins_dir:
        from ..plugins import load_plugins_dir

        load_plugins_dir(plugins_dir)
