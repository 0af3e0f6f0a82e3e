"""The options of a run, each declared once: what it is called, how it is typed, checked and recorded.

An :class:`Option` is registered through the ``register_options`` hook; the built-in ones come
from ``spliceannot.default_plugins.builtin_options``, a plugin like any other (as pytest's own
options come from its ``pytest_addoption`` hooks). From the declarations alone follow the
``score`` command's flags and ``--help``, the :class:`Options` of a run, its profiles
(``--profile lookup``), the checks made before any output is opened and, for options that change
scores (``scoring=True``), the output header's provenance lines, the keys precomputed files and
the score cache must match, the ``--resume`` checks and the query parameters of
``spliceannot serve``. Code that uses an option reads it by name: ``opts["raw"]``.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .errors import PluginError, UsageError

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Option:
    """One declared option. Only ``name`` is required; the rest has defaults that suit a flag
    such as ``--raw`` (``Option("raw", False, help=..., scoring=True)``)."""

    name: str  # a Python identifier: Options(raw=True), opts["raw"], the header's spliceannot_raw
    default: Any = None
    help: str = ""
    # Command-line flags; None: "--" + name with dashes; (): not on the command line.
    flags: Optional[tuple] = None
    type: Optional[type] = None  # bool, int, float or str; None: the default's type (str for None)
    scoring: bool = False  # changes what is written: recorded, matched, a matrix row
    always_recorded: bool = False  # recorded in the header even at its default (1.3.1's -D, -M)
    profiles: dict = field(default_factory=dict)  # profile name -> the value it sets
    choices: Optional[tuple] = None
    min: Optional[float] = None
    max: Optional[float] = None
    # A rule involving other options: check(value, opts) -> one-line error message, or None.
    check: Optional[Callable] = None
    multiple: bool = False  # repeatable flag; the value is a tuple
    required: bool = False  # the command line and a run need it (Options() itself does not)
    zero_one: bool = False  # a bool given as 0/1 on the command line (SpliceAI's -M 1)
    record: Optional[Callable] = None  # value -> how the header records it (default: as is)
    example: Any = None  # its option-matrix row: a value, or a dict of options for the row
    metavar: Optional[str] = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise PluginError(f"register_options: option name {self.name!r} is not an identifier")
        if self.flags is None:
            object.__setattr__(self, "flags", ("--" + self.name.replace("_", "-"),))
        if self.type is None:
            kind = type(self.default) if self.default is not None and not self.multiple else str
            object.__setattr__(self, "type", kind)
        if self.type not in (bool, int, float, str):
            raise PluginError(f"register_options: option {self.name!r} has type "
                              f"{self.type.__name__}; use bool, int, float or str")

    @property
    def label(self) -> str:
        """How messages name it: its longest flag, or the name where it has none."""
        return max(self.flags, key=len) if self.flags else self.name.replace("_", " ")

    @property
    def is_flag(self) -> bool:
        return self.type is bool and not self.zero_one

    def initial(self):
        return tuple(self.default or ()) if self.multiple else self.default

    def recorded(self, value):
        """The value the output header records."""
        return self.record(value) if self.record else value

    def spell(self, value) -> str:
        """The value as the command line gives it: ``--raw``, ``-M 1``, ``-D 7``."""
        if not self.flags:
            return f"{self.name}={value}"
        flag = self.flags[0]
        if self.is_flag:
            return flag if value else ""
        if self.zero_one:
            return f"{flag} {int(bool(value))}"
        return " ".join(f"{flag} {v}" for v in value) if self.multiple else f"{flag} {value}"

    def parse(self, text):
        """A value from text (a query parameter); raises ValueError with a one-line reason."""
        if self.type is bool:
            lowered = str(text).strip().lower()
            if lowered in _TRUE + _FALSE:
                return lowered in _TRUE
            raise ValueError(f"{self.label} {str(text)[:20]!r}: must be 0 or 1")
        try:
            return self.type(text)
        except (TypeError, ValueError):
            raise ValueError(f"{self.label} {str(text)[:20]!r}: must be "
                             f"{'an integer' if self.type is int else 'a number'}") from None

    def problem(self, value, opts=None) -> Optional[str]:
        """Why ``value`` is refused (one line), or None."""
        values = value if self.multiple else (value,)
        for v in values:
            if v is None:
                continue
            if self.choices is not None and v not in self.choices:
                return f"{self.label} {v!r}: choose {_one_of(self.choices)}"
            if self.min is not None and v < self.min:
                return f"{self.label} must be >= {self.min}, got {v}"
            if self.max is not None and v > self.max:
                return f"{self.label} must be <= {self.max}, got {v}"
        if self.check is not None and opts is not None:
            return self.check(value, opts)
        return None


def _one_of(choices) -> str:
    choices = [str(c) for c in choices]
    return choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " or " + choices[-1]


# ---- the declarations -----------------------------------------------------------------------

def declared() -> dict:
    """Every registered option by name, built-ins first."""
    from . import registry

    return registry.options().items


def scoring() -> list:
    """The options that change scores, in declaration order."""
    return [o for o in declared().values() if o.scoring]


def get(name: str) -> Option:
    from . import registry

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


class Settings(_Values):
    """What the scoring stages (plan, model run, finish) read: the options that change scores,
    plus two things the caller decides. ``minimal`` (the writer): score each ALT in its minimal
    spelling (shared bases trimmed, one anchor kept) with 1.3.1's rules, as 1.3.1 scores a
    normalized VCF. ``keep_tracks``: finish hands back the tracks it compared
    (``DeltaScore.tracks``) for a caller that shows more than DS/DP (``spliceannot serve``'s
    allNonZeroScores); never written, never recorded or cached."""

    @staticmethod
    def _wanted(option) -> bool:
        return option.scoring

    def __init__(self, minimal: bool = False, keep_tracks: bool = False, **given):
        super().__init__(**given)
        self.__dict__["minimal"] = minimal
        self.__dict__["keep_tracks"] = keep_tracks

    @classmethod
    def of(cls, opts, minimal: bool = False, keep_tracks: bool = False) -> "Settings":
        """The scoring part of a run's :class:`Options`."""
        return cls(minimal=minimal, keep_tracks=keep_tracks,
                   **{o.name: opts[o.name] for o in scoring()})

    @property
    def cov(self) -> int:
        return 2 * self.distance + 1

    def record(self) -> dict:
        """The header's provenance entries: :meth:`basics`, then :meth:`extras`."""
        return {**self.basics(), **self.extras()}

    def basics(self) -> dict:
        """The always-recorded options (1.3.1's -D and -M)."""
        return {o.name: o.recorded(self[o.name]) for o in scoring() if o.always_recorded}

    def extras(self) -> dict:
        """The other options that are not at their default (``minimal`` last, when set)."""
        out = {o.name: o.recorded(self[o.name]) for o in scoring()
               if not o.always_recorded and self[o.name] != o.initial()}
        if self.minimal:
            out["minimal"] = True
        return out


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
