"""A run's option values from the registered declarations: :class:`Options`, the scoring
:class:`Settings`, profiles, the checks made before any output, and serve's request options."""

from .. import registry
from ..errors import UsageError
from . import Option  # noqa: F401  (the contract, for readers of this module)
from .settings import Settings

# ---- the declarations -----------------------------------------------------------------------

def declared() -> dict:
    """Every registered option by name, built-ins first."""
    return registry.options().items


def scoring() -> list:
    """The options that change scores, in declaration order."""
    return [o for o in declared().values() if o.scoring]


def get(name: str) -> Option:
    return registry.options().get(name)


# ---- values ---------------------------------------------------------------------------------

class _Values:
    """Option values by declared name: ``opts["raw"]``, ``opts.get("raw")`` or ``opts.raw``."""

    @staticmethod
    def _wanted(option) -> bool:
        return True

    def __init__(self, **given):
        options = {n: o for n, o in declared().items() if self._wanted(o)}
        unknown = sorted(set(given) - set(options))
        if unknown:
            raise UsageError(f"unknown option(s) {', '.join(unknown)}; options: "
                             f"{', '.join(sorted(options))}")
        for name, option in options.items():
            self.__dict__[name] = given[name] if name in given else option.initial()

    def __getattr__(self, name):
        # An option a plugin declared after these values were made: its default.
        if not name.startswith("_"):
            option = declared().get(name)
            if option is not None and self._wanted(option):
                return option.initial()
        raise AttributeError(f"{type(self).__name__} has no option {name!r}")

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name, default=None):
        try:
            return getattr(self, name)
        except AttributeError:
            return default

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def replace(self, **changes):
        return type(self)(**{**self.__dict__, **changes})

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self):
        items = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({items})"


class Options(_Values):
    """All options of one run: ``Options(reference=..., annotation=..., distance=500)``; an
    option not given has its declared default."""


def check(opts) -> None:
    """Refuse values the declarations refuse (choices, bounds, rules between options), one
    line each, before anything is loaded."""
    for option in declared().values():
        message = option.problem(opts[option.name], opts)
        if message:
            raise UsageError(message)


# ---- profiles -------------------------------------------------------------------------------

def profile_names() -> list:
    return sorted({p for o in declared().values() for p in o.profiles})


def profile(name: str) -> dict:
    """The options profile ``name`` sets, by name."""
    if name not in profile_names():
        raise UsageError(f"--profile {name!r}: choose one of {', '.join(profile_names())}")
    return {o.name: o.profiles[name] for o in declared().values() if name in o.profiles}


def with_profile(name, given: dict) -> dict:
    """``given`` options (None: not given) over the options of profile ``name`` (None: none)."""
    out = {k: v for k, v in given.items() if v is not None}
    if name is None:
        return out
    return {**profile(name), **out}


# ---- spliceannot serve ----------------------------------------------------------------------

def request_options(profile_name: str = None) -> list:
    """The options a request may set: those that change scores (plugin ones included), less
    those profile ``profile_name`` fixes (every option it sets but the always-recorded -D and
    -M, which a request still chooses)."""
    fixed = set(profile(profile_name)) if profile_name else set()
    return [o for o in scoring() if o.name not in fixed or o.always_recorded]


def request_settings(params: dict, profile_name: str = None, defaults: dict = None) -> Settings:
    """:class:`Settings` from a request's parameters (text or JSON values; absent, None or ""
    for the ``defaults``, then the profile's); raises UsageError naming a refused value."""
    given = dict(defaults or {})
    allowed = {o.name: o for o in request_options(profile_name)}
    for name, option in allowed.items():
        raw = params.get(name)
        if raw in (None, ""):
            continue
        try:
            given[name] = option.parse(str(raw))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    values = Settings(**with_profile(profile_name, given))
    for option in allowed.values():
        message = option.problem(values[option.name], values)
        if message:
            raise UsageError(message)
    return values
