"""Named registries filled through the ``register_*`` hooks: models, annotation sources, scorers, lookups, writers, predict outputs, options.

The host hands each hook a ``register`` callback that type-checks what it is given and refuses a
name already taken; a lookup that misses names what does exist (as llm's model lookup does).
Every name-or-path lookup of the program goes through the functions at the end of this module,
in one order: a registered name first, then a path that a registered plugin claims.
"""

import contextlib
import os
from functools import lru_cache

from .errors import ModelFileError, PluginError, UnknownName, UsageError


class Registry:
    def __init__(self, kind: str, hook: str, expected, is_class: bool = False):
        self.kind = kind
        self.hook = hook
        self.expected = expected
        self.is_class = is_class
        self.items: dict = {}

    def register(self, item) -> None:
        ok = (isinstance(item, type) and issubclass(item, self.expected)) if self.is_class \
            else isinstance(item, self.expected)
        if not ok:
            want = f"a subclass of {self.expected.__name__}" if self.is_class \
                else f"an instance of {self.expected.__name__}"
            raise PluginError(f"{self.hook}: expected {want}, got {item!r}")
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{self.hook}: {item!r} has no name")
        if name in self.items:
            raise PluginError(f"{self.hook}: {self.kind} name {name!r} is already registered "
                              f"by {self.items[name]!r}")
        self.items[name] = item

    def get(self, name: str):
        try:
            return self.items[name]
        except KeyError:
            known = ", ".join(sorted(self.items)) or "none"
            raise UnknownName(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return list(self.items)

    def values(self) -> list:
        return list(self.items.values())


def _loaded() -> tuple:
    """The names of the registered plugins: a registry is refilled when they change (a
    ``--plugins-dir`` or a test registering one), so the plugin manager never calls back here."""
    from .plugins import get_plugin_manager

    pm = get_plugin_manager()
    return tuple(sorted(pm.get_name(p) for p in pm.get_plugins()))


# registry -> (what it holds, its hook, the contract (module, class), classes rather than instances)
_KINDS = {
    "models": ("model", "register_models", ("models", "Model"), False),
    "annotation_sources": ("annotation source", "register_annotation_sources",
                           ("genes", "AnnotationSource"), False),
    "scorers": ("scorer", "register_scorers", ("scorer", "Scorer"), False),
    "lookups": ("lookup", "register_lookups", ("lookup", "Lookup"), True),
    "writers": ("writer", "register_writers", ("io.writer", "Writer"), True),
    "track_writers": ("predict output", "register_track_writers", ("tracks", "TrackWriter"), True),
    "options": ("option", "register_options", ("options", "Option"), False),
}


@lru_cache(maxsize=4 * len(_KINDS))
def _filled(which: str, loaded: tuple) -> Registry:
    """Registry ``which`` as the plugins in ``loaded`` fill it through its hook."""
    import importlib

    from .plugins import get_plugin_manager

    kind, hook, (module, name), is_class = _KINDS[which]
    expected = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    registry = Registry(kind, hook, expected, is_class)
    getattr(get_plugin_manager().hook, hook)(register=registry.register)
    return registry


def models() -> Registry:
    return _filled("models", _loaded())


def annotation_sources() -> Registry:
    return _filled("annotation_sources", _loaded())


def scorers() -> Registry:
    return _filled("scorers", _loaded())


def lookups() -> Registry:
    return _filled("lookups", _loaded())


def writers() -> Registry:
    return _filled("writers", _loaded())


def track_writers() -> Registry:
    return _filled("track_writers", _loaded())


def options() -> Registry:
    return _filled("options", _loaded())


def reset() -> None:
    """Forget filled registries (plugins re-registered under the same names)."""
    _filled.cache_clear()


@contextlib.contextmanager
def registered(plugin, name: str = None):
    """Register ``plugin`` (a module or object holding hookimpls) for the ``with`` block, then
    unregister it; the registries refill on both sides. What a plugin's own tests use."""
    from .plugins import get_plugin_manager

    pm = get_plugin_manager()
    name = pm.register(plugin, name=name)
    pm.check_pending()
    reset()
    try:
        yield plugin
    finally:
        pm.unregister(name=name)
        reset()


# ---- resolution: a registered name first, then a path claimed by a plugin -------------------------


def _claiming(found: Registry, path: str):
    """The first registered item that claims the existing ``path``, or None."""
    return next((item for item in found.values() if item.claims(path)), None)


def model(spec: str):
    """The model for ``--model``: a registered backend by name, else a path (a checkpoint or
    ensemble directory) that a backend ``claims`` and ``open``s."""
    found = models()
    if spec in found.items:
        return found.items[spec]
    if os.path.exists(spec):
        backend = _claiming(found, spec)
        if backend is not None:
            return backend.open(spec)
        raise UsageError(f"--model {spec}: no model backend reads this path (a spliceannot "
                         f"checkpoint directory has model.json + model.safetensors)")
    if os.sep in spec or spec.startswith(("~", ".")) or (os.altsep and os.altsep in spec):
        # A path, not a name: "unknown model" would send the user to the wrong fix.
        raise ModelFileError(f"--model {spec}: no such file or directory")
    return found.get(spec)  # raises UnknownName listing the known models


def annotation_source(spec: str):
    """The annotation source for ``-A``: a registered name, else a source claiming the path."""
    sources = annotation_sources()
    if spec in sources.items:
        return sources.items[spec]
    if os.path.exists(spec):
        source = _claiming(sources, spec)
        if source is not None:
            return source
        raise UsageError(f"annotation {spec}: no annotation source reads this file; "
                         f"sources: {', '.join(sources.names())}")
    raise UsageError(f"annotation {spec!r}: neither a file nor a registered source "
                     f"({', '.join(sources.names())})")


def load_annotation(spec: str, **options):
    """Load ``spec`` through its source; options set to None are left out, any other one must be
    declared in the source's ``options``."""
    source = annotation_source(spec)
    given = {k: v for k, v in options.items() if v is not None}
    for key in given:
        if key not in source.options:
            raise UsageError(f"annotation {spec}: source {source.name!r} takes no "
                             f"--{key.replace('_', '-')} option")
    return source.load(spec, **given)


def writer_for(fmt, output: str):
    """The writer class for ``--format``, else the one whose longest suffix ends the output
    name, else the one writer that declares itself the ``default_format`` (also for stdout)."""
    found = writers()
    if fmt:
        chosen = found.get(fmt)
        _check_format_name(chosen, output)
        return chosen
    if output != "-":
        name = output.lower()
        matches = [(len(s), w) for w in found.values() for s in w.suffixes if name.endswith(s)]
        if matches:
            return max(matches, key=lambda m: m[0])[1]
    fallback = [w for w in found.values() if w.default_format]
    if len(fallback) != 1:
        raise UsageError(f"no output format for {output!r}: give --format "
                         f"({', '.join(found.names())})")
    return fallback[0]


def _check_format_name(writer_cls, output_path: str) -> None:
    """``--format`` and the ``-o`` name must not disagree: a name another writer's suffix ends
    (``--format vep -o out.vcf``) would hold a file of another kind, and a writer whose files
    are all compressed needs a compressed name."""
    if output_path == "-":
        return
    named = writer_for(None, output_path)
    name = output_path.lower()
    if named is not writer_cls and any(name.endswith(s) for s in named.suffixes):
        raise UsageError(f"--format {writer_cls.name} and -o {output_path} disagree: that name "
                         f"is a {named.name} file; name it {writer_cls.suffixes[0]}"
                         if writer_cls.suffixes else f"--format {writer_cls.name} and -o "
                         f"{output_path} disagree: that name is a {named.name} file")
    compressed = writer_cls.suffixes and all(s.endswith((".gz", ".bgz"))
                                             for s in writer_cls.suffixes)
    if compressed and not name.endswith((".gz", ".bgz")):
        raise UsageError(f"--format {writer_cls.name} writes a compressed file; name it "
                         f"{writer_cls.suffixes[0]}, not {output_path}")


def track_writer_for(output: str):
    """The ``predict`` writer class whose longest suffix ends the ``-o`` name."""
    found = track_writers()
    name = output.lower()
    matches = [(len(s), w) for w in found.values() for s in w.suffixes if name.endswith(s)]
    if not matches:
        suffixes = sorted(s for w in found.values() for s in w.suffixes)
        raise UsageError(f"-o {output}: the output type follows the name: {', '.join(suffixes)}")
    return max(matches, key=lambda m: m[0])[1]
