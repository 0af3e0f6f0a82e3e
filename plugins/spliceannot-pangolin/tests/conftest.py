"""Fixtures: the plugin registered (installed or not), one torch thread, tiny Pangolin-format
weights, the real weights where ../shared has them."""

import pytest

from pangolin_helpers import ensure_registered, weights_dir, write_tiny_weights


@pytest.fixture(autouse=True)
def plugin():
    return ensure_registered()


@pytest.fixture(autouse=True)
def own_config(tmp_path_factory, monkeypatch):
    """A config folder of the test's own: the user's install-weights record is never read."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks gain nothing from threads; on a busy machine waiting threads cost seconds."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A folder of 12 tiny networks named as Pangolin's weight files."""
    return write_tiny_weights(tmp_path_factory.mktemp("tiny_pangolin"))


@pytest.fixture
def weights():
    """Pangolin's 12 default weight files: $SPLICEANNOT_PANGOLIN_DIR, else ../shared."""
    folder = weights_dir()
    if not (folder / "final.1.0.3.v2").is_file():
        pytest.skip(f"needs Pangolin's weights in $SPLICEANNOT_PANGOLIN_DIR or ../shared "
                    f"({folder} has none)")
    return folder
