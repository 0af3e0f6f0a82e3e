"""What every scoring command sets up before it runs: warnings on stderr and extra plugins."""

import logging


def start(quiet: bool, plugins_dir=None) -> None:
    """Send warnings to stderr (only errors with ``quiet``); load ``--plugins-dir`` if given."""
    from ..progress import StderrHandler

    logging.basicConfig(handlers=[StderrHandler()], format="spliceannot: warning: %(message)s",
                        level=logging.ERROR if quiet else logging.WARNING)
    if plugins_dir:
        from ..plugins import load_plugins_dir

        load_plugins_dir(plugins_dir)
