"""Named registries filled through the ``register_*`` hooks: models, annotation sources, scorers, lookups, writers.

The host hands each hook a ``register`` callback that type-checks what it is given and refuses a
name already taken; a lookup that misses names what does exist (as llm's model lookup does).
"""

from functools import lru_cache

from .errors import PluginError, UnknownName


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


def _fill(kind, hook, expected, is_class=False) -> Registry:
    from .plugins import get_plugin_manager

    registry = Registry(kind, hook, expected, is_class)
    getattr(get_plugin_manager().hook, hook)(register=registry.register)
    return registry


@lru_cache(maxsize=None)
def models() -> Registry:
    from .model import Model

    return _fill("model", "register_models", Model)


@lru_cache(maxsize=None)
def annotation_sources() -> Registry:
    from .annotation import AnnotationSource

    return _fill("annotation source", "register_annotation_sources", AnnotationSource)


@lru_cache(maxsize=None)
def scorers() -> Registry:
    from .scorer import Scorer

    return _fill("scorer", "register_scorers", Scorer)


@lru_cache(maxsize=None)
def lookups() -> Registry:
    from .lookup import Lookup

    return _fill("lookup", "register_lookups", Lookup, is_class=True)


@lru_cache(maxsize=None)
def writers() -> Registry:
    from .writer import Writer

    return _fill("writer", "register_writers", Writer, is_class=True)


def reset() -> None:
    """Forget filled registries (after plugins were added or removed)."""
    for fn in (models, annotation_sources, scorers, lookups, writers):
        fn.cache_clear()
