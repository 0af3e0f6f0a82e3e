"""The options of a run, each declared once: what it is called, how it is typed, checked and recorded.

This module holds the contract, :class:`Option` (what a ``register_options`` hook hands the
host); :mod:`spliceannot.options.values` turns the registered declarations into a run's
:class:`Options`, the scoring :class:`Settings`, profiles and checks, and its names are
imported from here as well (lazily, so the registry can import the contract).

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

from ..errors import PluginError

# The groups options are declared in, in help-panel order (a command takes whole groups).
GROUPS = ("input", "scoring", "output", "lookup", "engine", "distributed")
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
    # The scorers that read it (a plugin scorer's own options, e.g. Pangolin's --score-cutoff);
    # None: every scorer. Set away from its default for another scorer, a run is refused.
    scorers: Optional[tuple] = None
    metavar: Optional[str] = None
    # The help panel and the commands that take it: input, scoring, engine, output, lookup or
    # distributed (a command takes whole groups); None: scoring for an option that changes
    # scores, else engine.
    group: Optional[str] = None
    # A path: "input" or "output" (no output may name an input or another output), or
    # "directory" (read and written, not checked against the others); None: not a path.
    role: Optional[str] = None
    # A registry whose names are the values it takes ("writers", "scorers"): listed in --help.
    choices_from: Optional[str] = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise PluginError(f"register_options: option name {self.name!r} is not an identifier")
        if self.flags is None:
            object.__setattr__(self, "flags", ("--" + self.name.replace("_", "-"),))
        if self.type is None:
            kind = type(self.default) if self.default is not None and not self.multiple else str
            object.__setattr__(self, "type", kind)
        if self.group is None:
            object.__setattr__(self, "group", "scoring" if self.scoring else "engine")
        if self.group not in GROUPS:
            raise PluginError(f"register_options: option {self.name!r} has group "
                              f"{self.group!r}; choose {_one_of(GROUPS)}")
        if self.role not in (None, "input", "output", "directory"):
            raise PluginError(f"register_options: option {self.name!r} has role {self.role!r}; "
                              f"choose input, output, directory or None")
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



_VALUES = ("Options", "Settings", "declared", "scoring", "get", "check", "profile_names", "profile",
           "with_profile", "request_options", "request_settings")


def __getattr__(name):
    if name == "Settings":  # typed and frozen: importing it loads no registry
        from .settings import Settings

        return Settings
    if name in _VALUES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.values"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
