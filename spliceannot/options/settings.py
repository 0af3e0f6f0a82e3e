"""What the scoring stages read: typed, frozen parameters built at the boundary from a run's options.

``Settings(distance=500, mask=True)`` needs nothing loaded (no registry, no plugin manager): plan,
the model run and finish take it as plain data. The fields are the built-in options that change
scores (declared in ``spliceannot.default_plugins.builtin_options``, whose defaults these equal),
plus two things the caller decides; a plugin's scoring options ride along by name
(``settings["demo_scale"]``). :meth:`Settings.of` builds them from a run's declared
:class:`~spliceannot.options.Options`; the provenance views (:meth:`record`, :meth:`basics`,
:meth:`extras`) ask the declarations how each option is recorded.
"""

from dataclasses import dataclass, fields


@dataclass(frozen=True, init=False)
class Settings:
    """``minimal`` (the writer): score each ALT in its minimal spelling (shared bases trimmed,
    one anchor kept) with 1.3.1's rules, as 1.3.1 scores a normalized VCF. ``keep_tracks``:
    finish hands back the tracks it compared (``DeltaScore.tracks``) for a caller that shows
    more than DS/DP (drawing, serve's allNonZeroScores); never written, recorded or cached."""

    distance: int = 50  # SpliceAI's -D
    mask: bool = False  # SpliceAI's -M
    per_transcript: bool = False
    mask_mode: str = "nearest"
    pad_ends: bool = False
    trim_alleles: bool = False
    raw: bool = False
    delins_rule: str = "pair"
    minimal: bool = False
    keep_tracks: bool = False
    plugin: tuple = ()  # (name, value) of the plugins' scoring options, by name

    def __init__(self, **given):
        for f in fields(self):
            if f.name != "plugin":
                object.__setattr__(self, f.name, given.pop(f.name, f.default))
        plugin = dict(given.pop("plugin", ()))
        plugin.update(given)
        object.__setattr__(self, "plugin", tuple(sorted(plugin.items())))

    @classmethod
    def of(cls, opts, minimal: bool = False, keep_tracks: bool = False) -> "Settings":
        """The scoring part of a run's declared :class:`~spliceannot.options.Options`."""
        return cls(minimal=minimal, keep_tracks=keep_tracks,
                   **{o.name: opts[o.name] for o in scoring()})

    @property
    def cov(self) -> int:
        return 2 * self.distance + 1

    def __getattr__(self, name):  # a plugin's option: settings.demo_scale
        if name.startswith("_") or name == "plugin":
            raise AttributeError(name)
        found = dict(self.plugin)
        if name in found:
            return found[name]
        raise AttributeError(f"Settings has no option {name!r}")

    def __getitem__(self, name):
        if name in _BUILTIN:
            return getattr(self, name)
        found = dict(self.plugin)
        if name in found:
            return found[name]
        from .. import registry  # a plugin option these settings were built without

        return registry.options().get(name).initial()

    def get(self, name, default=None):
        try:
            return self[name]
        except Exception:
            return default

    def as_dict(self) -> dict:
        out = {name: getattr(self, name) for name in _BUILTIN}
        out.update(self.plugin)
        return out

    def replace(self, **changes) -> "Settings":
        return type(self)(**{**self.as_dict(), **changes})

    # ---- provenance: how the declarations record these values ---------------------------------

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


def scoring() -> list:
    """The declared options that change scores (asked only when values are recorded)."""
    from .. import registry

    return [o for o in registry.options().items.values() if o.scoring]


_BUILTIN = tuple(f.name for f in fields(Settings) if f.name != "plugin")
