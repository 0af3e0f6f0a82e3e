"""The Python API: score variants (a list or a VCF) and predict splice sites from a notebook.

The same stages and options as ``spliceannot score``; every keyword option is a field of
:class:`spliceannot.options.Options` (``distance``, ``mask``, ``model``, ``per_transcript``,
``trim_alleles``, ``raw``, ``precomputed``, ``score_cache``, ``device``, ...; plugin options
too), as declared in :mod:`spliceannot.default_plugins.builtin_options`.
"""

from .errors import UsageError

def parse_variant(spec, line: int = 0):
    """A :class:`~spliceannot.io.variant.Variant` from a Variant, a (chrom, pos, ref, alt[s]) tuple or
    text such as ``chr16-262226-G-A`` or ``16:262226 G>A`` (ALTs may be comma-separated)."""
    from .io.variant import parse_variant as parse

    try:
        return parse(spec, line)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _options(reference, annotation, options):
    from .options import Options

    return Options(reference=str(reference), annotation=str(annotation), **options)


def score_variants(variants, reference, annotation="grch38", *, as_frame: bool = False,
                   **options):
    """Score ``variants`` against ``reference`` (FASTA path) and ``annotation`` (``-A`` value).

    Returns one :class:`~spliceannot.delta.Result` per variant, in order (``reason`` set where a
    variant was not scored), or with ``as_frame=True`` a pandas DataFrame of one row per
    variant x ALT x gene (see :func:`results_frame`)."""
    from .pipeline import finite_or_flagged, prepare
    from .scorer import score_chunk

    opts = _options(reference, annotation, options)
    todo = [parse_variant(v, line=i) for i, v in enumerate(variants, 1)]
    run = prepare(opts, "-")
    try:
        results = []
        for start in range(0, len(todo), max(1, opts.chunk_size)):
            chunk = todo[start:start + opts.chunk_size]
            results += [finite_or_flagged(r)
                        for r in score_chunk(chunk, run.ctx, run.scorer, run.lookups)]
    finally:
        run.close()
    return results_frame(results) if as_frame else results


def score_vcf(input_path, output_path, reference, annotation="grch38", **options):
    """Score a VCF file into ``output_path`` (its name picks the writer, as on the command line);
    returns the run :class:`~spliceannot.summary.Summary`."""
    from .pipeline import score_file

    return score_file(str(input_path), str(output_path), _options(reference, annotation, options))


def results_frame(results):
    """Results as a pandas DataFrame: one row per record x ALT x gene with the SpliceAI fields
    (DS as floats, DP as ints), or one row with ``REASON`` set for a record not scored."""
    import pandas as pd

    from .delta import FIELDS, RAW_FIELDS

    rows = []
    for r in results:
        v = r.variant
        base = {"CHROM": v.chrom, "POS": v.pos, "ID": v.id, "REF": v.ref}
        if r.reason is not None or not r.entries:
            rows.append({**base, "ALLELE": ",".join(v.alts), "REASON": r.reason})
            continue
        for e in r.entries:
            row = {**base, "ALLELE": e.alt, "SYMBOL": e.gene, "REASON": None}
            if e.ds is not None:
                row.update(zip(FIELDS[2:6], e.ds))
                row.update(zip(FIELDS[6:], e.dp))
            if e.raw:
                row.update(zip(RAW_FIELDS, e.raw))
            rows.append(row)
    columns = ["CHROM", "POS", "ID", "REF", *FIELDS, *RAW_FIELDS, "REASON"]
    frame = pd.DataFrame(rows, columns=[c for c in columns if any(c in row for row in rows)])
    return frame


def predict_sequence(sequence: str, model="spliceai", chunk: int = 5000):
    """Per-position (neither, acceptor, donor) probabilities of ``sequence`` read 5'->3' as given
    (reverse-complement it for the minus strand), with N beyond both ends: a (len, 3) float32
    array. ``model`` is a name or path as for ``--model``, or a Model instance."""
    import numpy as np

    from . import registry
    from .sequence import one_hot

    net = registry.model(model) if isinstance(model, str) else model
    half = net.context // 2
    x = one_hot("N" * half + sequence + "N" * half)
    out = [net.predict(x[None, i:i + chunk + net.context])[0]
           for i in range(0, len(sequence), chunk)]
    return np.concatenate(out) if out else np.zeros((0, 3), dtype=np.float32)
