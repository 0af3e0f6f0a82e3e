"""The Python API: score variants (a list or a VCF) and predict splice sites from a notebook.

The same stages and options as ``spliceannot score``; every keyword option is a field of
the same stages and options as ``spliceannot score``; every keyword option is a declared
option of :class:`spliceannot.options.Options` (``distance``, ``mask``, ``model``,
``per_transcript``, ``trim_alleles``, ``raw``, ``precomputed``, ``score_cache``, ``device``, ...;
plugin options too), as declared in :mod:`spliceannot.default_plugins.builtin_options`.

Bad arguments raise :class:`~spliceannot.errors.ArgumentError` (a ``ValueError``) or
:class:`~spliceannot.errors.ArgumentTypeError` (a ``TypeError``), each naming the argument; both
are :class:`~spliceannot.errors.UsageError`, as the command line's own refusals.
"""

import os
import re

from .errors import ArgumentError, ArgumentTypeError, UsageError



def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def parse_variant(spec, line: int = 0):
    """A :class:`~spliceannot.io.variant.Variant` from a Variant, a (chrom, pos, ref, alt[s]) tuple or
    text such as ``chr16-262226-G-A`` or ``16:262226 G>A`` (ALTs may be comma-separated).

    Raises ArgumentError (a ValueError) for text or a tuple that is no variant, and
    ArgumentTypeError (a TypeError) for anything that is neither text, a tuple nor a Variant."""
    from .io.variant import Variant, parse_variant as parse

    if isinstance(spec, (tuple, list)):
        _check_tuple(spec)
    elif not isinstance(spec, (str, Variant)):
        raise ArgumentTypeError(f"variant {spec!r}: a {type(spec).__name__}; give text such as "
                                f"chr16-262226-G-A, a (chrom, pos, ref, alt) tuple or a Variant")
    try:
        return parse(spec, line)
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None


def _check_tuple(spec):
    """A (chrom, pos, ref, alt or alts) tuple, each part of the right kind, or a clear error."""
    if len(spec) != 4:
        raise ArgumentError(f"variant {spec!r}: a tuple of {len(spec)} items; give (chrom, pos, "
                            f"ref, alt)")
    chrom, pos, ref, alts = spec
    if not isinstance(chrom, str) or not chrom:
        raise ArgumentTypeError(f"variant {spec!r}: chrom must be non-empty text")
    if isinstance(pos, bool) or not isinstance(pos, (int, str)) \
            or not re.fullmatch(r"\d+", str(pos)) or int(pos) < 1:
        raise ArgumentError(f"variant {spec!r}: pos must be a whole number >= 1")
    if not isinstance(ref, str) or not ref:
        raise ArgumentTypeError(f"variant {spec!r}: ref must be non-empty text")
    parts = [alts] if isinstance(alts, str) else alts
    if not isinstance(parts, (list, tuple)) or not all(isinstance(a, str) for a in parts):
        raise ArgumentTypeError(f"variant {spec!r}: alt must be text or a list of texts")


def _options(reference, annotation, options):
    from .options import Options

    declared = {name: o for name, o in _declared().items()}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise UsageError(f"unknown option(s) {', '.join(unknown)}; options: "
                         f"{', '.join(sorted(set(declared) - {'reference', 'annotation'}))}")
    if not _is_path(reference):
        raise ArgumentTypeError(f"reference: a FASTA path, not {type(reference).__name__}")
    if not _is_path(annotation):
        raise ArgumentTypeError(f"annotation: a name (grch38) or a path, not "
                                f"{type(annotation).__name__}")
    checked = {name: _check_option(declared[name], value) for name, value in options.items()}
    return Options(reference=os.fspath(reference), annotation=os.fspath(annotation), **checked)


def _declared() -> dict:
    from .options import declared

    return declared()


def _check_option(option, value):
    """``value`` for the declared ``option``, of its type, or a clear error."""
    name, kind = option.name, option.type
    if value is None and option.initial() is None:
        return value
    if name == "model" and not _is_path(value):
        return value  # a Model instance is handed to the registry as it is
    if option.multiple:  # precomputed: one path or several
        items = [value] if _is_path(value) else value
        if not isinstance(items, (list, tuple)) or not all(_is_path(v) for v in items):
            raise ArgumentTypeError(f"{name}={value!r}: give a path or a list of paths")
        return tuple(os.fspath(v) for v in items)
    if kind is bool:
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return bool(value)
        raise ArgumentTypeError(f"{name}={value!r}: give True or False")
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
            raise ArgumentTypeError(f"{name}={value!r}: give "
                                    f"{'a whole number' if kind is int else 'a number'}")
    elif kind is str:
        if option.role and isinstance(value, os.PathLike):  # declared a path
            value = os.fspath(value)
        if not isinstance(value, str):
            raise ArgumentTypeError(f"{name}={value!r}: give text")
    if option.min is not None and kind in (int, float) and value < option.min:
        raise ArgumentError(f"{name}={value!r}: must be >= {option.min:g}")
    problem = option.problem(value)
    if problem:
        raise ArgumentError(f"{name}={value!r}: {problem}")
    return value


def score_variants(variants, reference, annotation="grch38", *, as_frame: bool = False,
                   **options):
    """Score ``variants`` against ``reference`` (FASTA path) and ``annotation`` (``-A`` value).

    Returns one :class:`~spliceannot.records.Result` per variant, in order (``reason`` set where a
    variant was not scored), or with ``as_frame=True`` a pandas DataFrame of one row per
    variant x ALT x gene (see :func:`results_frame`; pandas is the ``spliceannot[pandas]`` extra).

    Raises ArgumentTypeError (a TypeError) when ``variants`` is a single text or Variant rather
    than a list, or an argument or option has the wrong type, and ArgumentError (a ValueError)
    for a value out of range (such as ``chunk_size=0``) or a variant that does not parse."""
    from .io.variant import Variant
    from .session import Session

    if isinstance(variants, (str, bytes, Variant)) or not hasattr(variants, "__iter__"):
        raise ArgumentTypeError(f"variants: a list of variants, not a single "
                                f"{type(variants).__name__}; wrap it: [{variants!r}]")
    opts = _options(reference, annotation, options)
    todo = [parse_variant(v, line=i) for i, v in enumerate(variants, 1)]
    with Session.open(opts) as session:
        results = session.score(todo)
    return results_frame(results) if as_frame else results


def score_vcf(input_path, output_path, reference, annotation="grch38", **options):
    """Score a VCF file into ``output_path`` (its name picks the writer, as on the command line);
    returns the run :class:`~spliceannot.summary.Summary`. Arguments are checked as for
    :func:`score_variants`."""
    from .pipeline import score_file

    for name, value in (("input_path", input_path), ("output_path", output_path)):
        if not _is_path(value):
            raise ArgumentTypeError(f"{name}: a path ('-' for stdin/stdout), not "
                                    f"{type(value).__name__}")
    return score_file(os.fspath(input_path), os.fspath(output_path),
                      _options(reference, annotation, options))


def results_rows(results) -> list:
    """Results as plain rows (dicts), any model family: one per record x ALT x entry with CHROM,
    POS, ID, REF, the entry's fields (SpliceAI's DS as floats, DP as ints) and STATUS
    (``scored``, ``no scores``, ``skipped: REASON``, ``unscored: REASON``), as the TSV writes."""
    from .records import rows

    return rows(results)


def results_frame(results):
    """:func:`results_rows` as a pandas DataFrame (``pip install 'spliceannot[pandas]'``)."""
    try:
        import pandas as pd
    except ImportError:
        from .errors import MissingDependency

        raise MissingDependency("results_frame needs pandas: pip install 'spliceannot[pandas]' "
                                "(or use results_rows, plain dicts)") from None
    return pd.DataFrame(results_rows(results))


def predict_sequence(sequence: str, model="spliceai", chunk: int = 5000):
    """Per-position (neither, acceptor, donor) probabilities of ``sequence`` read 5'->3' as given
    (reverse-complement it for the minus strand), with N beyond both ends: a (len, 3) float32
    array. ``model`` is a name or path as for ``--model``, or a Model instance.

    Whitespace (line breaks of a pasted FASTA record) is dropped; any character other than
    A, C, G, T, N (either case) raises ArgumentError (a ValueError) naming its position, 1-based
    in ``sequence`` as given. A non-text ``sequence``, a ``model`` of another kind or a non-integer
    ``chunk`` raise ArgumentTypeError (a TypeError); ``chunk < 1`` raises ArgumentError."""
    import numpy as np

    from .models import Model
    from .sequence import one_hot
    from .session import open_model

    if not isinstance(sequence, str):
        raise ArgumentTypeError(f"sequence: text (str) of A, C, G, T, N, not "
                                f"{type(sequence).__name__}")
    if isinstance(chunk, bool) or not isinstance(chunk, int):
        raise ArgumentTypeError(f"chunk={chunk!r}: give a whole number")
    if chunk < 1:
        raise ArgumentError(f"chunk={chunk!r}: must be >= 1")
    bad = re.search(r"[^ACGTNacgtn\s]", sequence)
    if bad:
        raise ArgumentError(f"sequence: {bad.group()!r} at position {bad.start() + 1} is not "
                            f"A, C, G, T or N")
    sequence = re.sub(r"\s+", "", sequence)
    if isinstance(model, (str, os.PathLike)):
        net = open_model(model)
    elif isinstance(model, Model):
        net = model
    else:
        raise ArgumentTypeError(f"model: a name, a path or a Model, not {type(model).__name__}")
    half = net.context // 2
    x = one_hot("N" * half + sequence + "N" * half)
    out = [net.predict(x[None, i:i + chunk + net.context])[0]
           for i in range(0, len(sequence), chunk)]
    return np.concatenate(out) if out else np.zeros((0, 3), dtype=np.float32)
