"""The generic data that flows from planning to the writers: Result, the Plan and Entry protocols,
the declaration of a model family's output fields, and the skip reasons every family shares.

A model family (a scorer's semantics: SpliceAI's in :mod:`spliceannot.semantics.spliceai`,
Pangolin's in its plugin) declares what it writes in one :class:`Output`: the VCF INFO id and
header description, and the fields each entry fills, in column order. Each entry returns
``fields()`` (field -> value) and ``info_text()`` (its INFO text), as an Ensembl VEP plugin
declares header fields and returns a field -> value hash; the host renders every format (VCF,
TSV, JSONL, VEP export, API rows, serve answers) from those, so no writer knows any family.
"""

import math
from dataclasses import dataclass, field
from typing import Optional, Protocol, runtime_checkable

# Skip reasons (summary keys) that any family's planning may give. Record-level ones leave the
# record without INFO.
NO_ALT = "no ALT allele"
NO_GENE = "no overlapping gene"
NO_CONTIG = "contig absent from FASTA"
NO_SCORABLE_ALT = "no scorable ALT"


@runtime_checkable
class Entry(Protocol):
    """One ALT x gene (or whatever a family reports per ALT) of a scored record."""

    alt: str  # the record's ALT as written

    def fields(self) -> dict:
        """Field -> value for each of the family's :attr:`Output.fields`; a value is None (no
        value: ``.``), text, a number, or a list or dict of plain values. Keys beyond the
        declared fields (SpliceAI's TRANSCRIPT) go to JSON and API rows only."""

    def info_text(self) -> str:
        """The entry as its INFO field holds it (one of the comma-separated values)."""


@runtime_checkable
class Plan(Protocol):
    """What to do with one record, as a family's ``plan`` returns it: ``reason`` set means the
    record passes through unscored."""

    variant: object
    reason: Optional[str]
    alt_skips: list

    def tasks(self) -> list:
        """The work orders a model must run (each with ``ref_key``, ``x_ref``, ``x_alt``, ...)."""

    def result(self, scores=()) -> "Result":
        """The record's :class:`Result`, given the finished entry of each of ``tasks()``."""


@dataclass
class Result:
    """What scoring one record produced, as writers, caches and summaries see it: plain data.

    ``reason`` set: the record passes through unscored (``detail`` may say more). ``entries``:
    the family's entries (:class:`Entry`), ALT-major; ``alt_skips``: (ALT, reason) pairs."""

    variant: object  # io.variant.Variant
    reason: str = None
    entries: list = field(default_factory=list)
    alt_skips: list = field(default_factory=list)
    detail: str = None


def _plain(value) -> str:
    return "." if value is None else str(value)


@dataclass(frozen=True)
class Output:
    """What a model family writes: the VCF INFO field (``info_id``, ``description``), the
    fields each entry fills in column order (``fields``; the first ``keys`` of them name the
    entry, e.g. ALLELE and SYMBOL), and how values print.

    ``route`` is the family's name (serve's route: ``/spliceai/``). ``formats``: field -> a
    format spec for its numbers (``".2f"``: text ``0.12``, JSON 0.12) or a function value ->
    text; other values print with ``str``. ``json_names``: field -> its JSON key where that differs. ``movable``:
    entries have ``at(offset, alt)``, the same entry for the change spelled at POS + offset as
    ``alt`` (what the VEP export writes)."""

    info_id: str
    description: str
    fields: tuple
    keys: int = 2
    formats: dict = field(default_factory=dict, hash=False, compare=False)
    json_names: dict = field(default_factory=dict, hash=False, compare=False)
    movable: bool = False
    route: str = ""  # the family's name (serve's route); the INFO id in lower case if not given

    def __post_init__(self):
        if not self.route:
            object.__setattr__(self, "route", self.info_id.lower())

    def for_run(self, settings) -> "Output":
        """The declaration for one run's settings (a family with optional fields overrides)."""
        return self

    # ---- rendering, the same for every family -----------------------------------------------

    def text(self, name: str, value) -> str:
        """One field's text: ``.`` for no value."""
        if value is None:
            return "."
        how = self.formats.get(name)
        if callable(how):
            return how(value)
        if how is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            return format(value, how)
        return _plain(value)

    def cells(self, entry) -> list:
        """The declared fields of ``entry`` as text, in order (TSV cells)."""
        values = entry.fields()
        return [self.text(name, values.get(name)) for name in self.fields]

    def scored(self, entry) -> bool:
        """Whether the entry holds a score (see :func:`scored`)."""
        return scored(entry)

    def key(self, entry) -> tuple:
        """The values of the key fields (ALLELE, SYMBOL)."""
        values = entry.fields()
        return tuple(values.get(name) for name in self.fields[:self.keys])

    def json(self, entry) -> dict:
        """The entry as a JSON object: every field with a value, under its JSON name, numbers
        rounded as their text prints them; ``"scored": false`` where it holds no value."""
        out = {}
        for name, value in entry.fields().items():
            if value is None:
                continue
            how = self.formats.get(name)
            if isinstance(how, str) and isinstance(value, float):
                value = float(format(value, how))
            out[self.json_names.get(name, name)] = _json_value(value)
        if not self.scored(entry):
            out["scored"] = False
        return out


def _json_value(value):
    """-0.0 as 0.0 (JSON readers differ on it), inside lists and objects too."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def numbers(entry) -> list:
    """Every number an entry's fields hold, nested ones included (what the finite check reads)."""
    out = []

    def walk(value):
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return
        if isinstance(value, (int, float)):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        else:  # a numpy scalar
            try:
                out.append(float(value))
            except (TypeError, ValueError):
                pass

    walk(list(entry.fields().values()))
    return out


def scored(entry) -> bool:
    """Whether an entry holds any number: 1.3.1's MNV entries, all ``.``, hold none."""
    return bool(numbers(entry))


def status(entry) -> str:
    """An entry's STATUS (TSV column, API rows): ``scored``, or ``no scores`` for one whose
    values are all ``.``; records and ALTs left out say ``unscored: REASON`` and
    ``skipped: REASON`` (:func:`rows`)."""
    return "scored" if scored(entry) else "no scores"


def rows(results) -> list:
    """Plain rows (dicts) of results: one per record x entry with CHROM, POS, ID, REF, the
    entry's fields (numbers as numbers) and STATUS; one per skipped ALT and per unscored record
    with ALLELE and STATUS, as the TSV writer's rows."""
    out = []
    for r in results:
        v = r.variant
        base = {"CHROM": v.chrom, "POS": v.pos, "ID": v.id, "REF": v.ref}
        if r.reason is not None:
            out.append({**base, "ALLELE": ",".join(v.alts) or ".",
                        "STATUS": f"unscored: {r.detail or r.reason}"})
            continue
        out += [{**base, **e.fields(), "STATUS": status(e)} for e in r.entries]
        out += [{**base, "ALLELE": alt, "STATUS": f"skipped: {why}"} for alt, why in r.alt_skips]
    return out


def all_finite(result: Result) -> bool:
    """Whether every number of every entry of ``result`` is finite (NaN and inf never score)."""
    return all(math.isfinite(v) for e in result.entries for v in numbers(e))


