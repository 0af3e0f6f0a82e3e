"""Files of the user's installed ``spliceai`` 1.3.1 package: the five Keras models and gene tables.

The weights are CC BY-NC 4.0 and are never copied into this project; they are read where pip put
them. The package is located without importing it (its ``__init__`` needs setuptools and installs
a SIGINT handler).
"""

import importlib.metadata
import pathlib

from ..errors import MissingDependency

INSTALL_HINT = ("the original SpliceAI weights and gene tables come from the PyPI package "
                "'spliceai' 1.3.1; install it with: pip install --no-deps spliceai==1.3.1 "
                "(or pip install 'spliceannot[spliceai]'). Its models are licensed CC BY-NC 4.0.")


def package_file(relative: str) -> pathlib.Path:
    try:
        dist = importlib.metadata.distribution("spliceai")
    except importlib.metadata.PackageNotFoundError:
        raise MissingDependency(INSTALL_HINT) from None
    path = pathlib.Path(dist.locate_file(f"spliceai/{relative}"))
    if not path.exists():
        raise MissingDependency(f"{path} is missing from the installed spliceai "
                                f"{dist.version}; {INSTALL_HINT}")
    return path


def model_paths() -> list:
    return [package_file(f"models/spliceai{i}.h5") for i in range(1, 6)]


def networks() -> list:
    """The five SpliceAI networks of the installed package, read from their Keras HDF5 files."""
    from . import keras_h5

    return [keras_h5.load(p) for p in model_paths()]


def annotation_path(build: str) -> pathlib.Path:
    return package_file(f"annotations/{build}.txt")
