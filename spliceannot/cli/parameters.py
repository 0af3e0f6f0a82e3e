"""Command parameters from the option declarations: a command takes whole groups, each a help panel.

``command(fn, groups=("input", "scoring"))`` is ``fn``'s own parameters plus one typer option per
declared option of those groups, a plugin's too (as pytest's ``pytest_addoption`` feeds one
parser), shown in rich help panels in :data:`spliceannot.options.GROUPS` order with the required
ones first. ``fn`` is called with its own values and ``chosen``: each option's value as given, or
None where the user gave none (so a profile or a command's own default can fill it).
"""

import functools
import inspect
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand

from ..errors import PluginError

PANELS = {"input": "Input", "scoring": "Scoring", "output": "Output", "lookup": "Lookups",
          "engine": "Engine", "distributed": "Distributed"}
# Metavars for values without a declared one: typer would print <str>, <int>, <float>.
_METAVARS = {str: "TEXT", int: "N", float: "X"}


class Command(TyperCommand):
    """A command whose ``--help`` line sits in the Output panel with no type shown (typer would
    give it a panel of its own, typed <bool>)."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
            option.rich_help_panel = PANELS["output"]
        return option


def option_parameter(option, required=None, default_note=True, shown=None) -> inspect.Parameter:
    """The typer parameter of a declared option. Every one but a flag defaults to None, so a
    value the user did not give is told from one the user gave (a profile fills the first)."""
    required = option.required if required is None else required
    notes = []
    if shown is not None:
        notes.append(f"default: {shown}")
    elif default_note and option.default not in (None, (), False) and not required:
        notes.append(f"default: {option.spell(option.default).split()[-1]}")
    if option.choices and not option.metavar:
        notes.append(" ".join(str(c) for c in option.choices))
    if option.choices_from:
        from .. import registry

        notes.append(", ".join(getattr(registry, option.choices_from)().names()))
    text = option.help + (f" ({'; '.join(notes)})" if notes else "")  # rich eats [...]
    panel = PANELS[option.group]
    if option.is_flag:
        info = typer.Option(*option.flags, help=text, metavar="", rich_help_panel=panel)
        return _parameter(option.name, bool, info, False)
    kind = int if option.zero_one else option.type
    kind = list[kind] if option.multiple else kind
    metavar = option.metavar or _METAVARS[option.type]
    info = typer.Option(*option.flags, help=text, show_default=False, metavar=metavar,
                        rich_help_panel=panel)
    if required:
        return _parameter(option.name, kind, info, ...)
    return _parameter(option.name, Optional[kind], info, None)


def _parameter(name, kind, info, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                             annotation=Annotated[kind, info], default=default)


def given(option, value):
    """A command-line value as an option value; None where the user gave none."""
    if value is None or (option.is_flag and not value):
        return None
    if option.zero_one:
        return bool(value)
    return tuple(value) if option.multiple else value


def options_of(groups, exclude=()) -> list:
    """The declared options with flags in ``groups``, in declaration order."""
    from .. import options

    return [o for o in options.declared().values()
            if o.flags and o.group in groups and o.name not in exclude]


def _panel_rank(param) -> tuple:
    info = param.annotation.__metadata__[0]
    if isinstance(info, typer.models.ArgumentInfo):
        return (-1, 0)
    order = list(PANELS.values())
    panel = info.rich_help_panel
    rank = order.index(panel) if panel in order else len(order)
    return (rank, 0 if param.default is ... else 1)


def command(fn, groups, *, exclude=(), optional=(), defaults=None):
    """A typer command of ``fn``'s own parameters (all but ``chosen``) and the declared options
    of ``groups`` (less ``exclude``; those in ``optional`` not required here; ``defaults``: the
    command's own default to show, by name, where it fills an option not given)."""
    defaults = defaults or {}
    declared = options_of(groups, exclude)
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
           for p in inspect.signature(fn).parameters.values() if p.name != "chosen"]
    params = list(own)
    names = {p.name for p in own}
    for option in declared:
        if option.name in names:
            raise PluginError(f"option {option.name!r} is a parameter of "
                              f"'{fn.__name__}' itself")
        params.append(option_parameter(option, required=False if option.name in optional
                                       else None, shown=defaults.get(option.name)))
    params.sort(key=_panel_rank)  # stable: declaration order within a panel
    flags = {}
    for param in params:
        for flag in getattr(param.annotation.__metadata__[0], "param_decls", None) or ():
            if flag in flags:
                raise PluginError(f"options {flags[flag]!r} and {param.name!r} both claim {flag}")
            flags[flag] = param.name

    @functools.wraps(fn)
    def run(**values):
        chosen = {o.name: given(o, values.pop(o.name)) for o in declared}
        return fn(**values, chosen=chosen)

    run.__signature__ = inspect.Signature(params)
    del run.__wrapped__  # typer reads the signature above, not fn's
    return run
