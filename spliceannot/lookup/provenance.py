"""Content digests that identify a run's inputs: model weights, gene annotation and reference.

Written into every output header (``##spliceannot_model_hash=...``) and used as the key of the
persistent score cache, so a score is only reused with the same weights, genes and genome.
"""

import hashlib
import json


def _short(h) -> str:
    return "sha256:" + h.hexdigest()[:16]


def model_digest(model) -> str:
    """A backend's ``digest()`` if it has one, else its SpliceNets' parameters, else its info."""
    cached = getattr(model, "_spliceannot_digest", None)
    if cached:
        return cached
    own = getattr(model, "digest", None)
    files = model.weight_files() if hasattr(model, "weight_files") and not callable(own) else []
    if callable(own):
        value = own()
    elif files:  # weights read only when their files changed since the digest was last taken
        value = by_file_stat("model", files, lambda: _parameters_digest(model))
    else:
        value = _parameters_digest(model)
    try:
        model._spliceannot_digest = value
    except AttributeError:
        pass
    return value


def _parameters_digest(model) -> str:
    """The SpliceNets' parameters, in order; a backend without weights we can see: its info."""
    from ..models import EnsembleModel

    h = hashlib.sha256()
    if isinstance(model, EnsembleModel):
        for net in model.networks():
            for key, tensor in net.state_dict().items():
                h.update(key.encode())
                h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    else:  # a backend without weights we can see: its declared identity
        h.update(json.dumps(model.info(), sort_keys=True, default=str).encode())
    return _short(h)


def by_file_stat(kind: str, paths, compute) -> str:
    """``compute()``, kept in the cache directory under the files' paths, sizes and mtimes, so a
    later run over unchanged files reads the value instead of the files (as ccache and git's
    index trust a file's stat). Where the cache cannot be written, the value is just computed."""
    import os

    from .score_cache import default_dir

    try:
        stats = [(os.path.realpath(p), os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths]
    except OSError:
        return compute()
    key = hashlib.sha256(json.dumps([kind, stats]).encode()).hexdigest()[:32]
    path = default_dir() / "digests" / f"{kind}-{key}"
    try:
        value = path.read_text().strip()
        if value.startswith("sha256:"):
            return value
    except OSError:
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(value + "\n")
        os.replace(tmp, path)
    except OSError:
        pass
    return value


def annotation_digest(genes) -> str:
    """The genes a run used (after any transcript policy), in table order."""
    h = hashlib.sha256()
    for g in genes.genes:
        h.update(f"{g.name}\t{g.transcript}\t{g.chrom}\t{g.strand}\t{g.tx_start}\t{g.tx_end}\t"
                 f"{g.exon_starts}\t{g.exon_ends}\n".encode())
    return _short(h)


def reference_digest(reference) -> str:
    """Contig names and lengths plus the sequence's ``.fai``-visible identity (cheap, not the bases)."""
    h = hashlib.sha256()
    for name in sorted(reference.lengths):
        h.update(f"{name}\t{reference.lengths[name]}\n".encode())
        # A few kb from each contig's start and middle: a different assembly of the same lengths
        # (rare, but e.g. masked vs unmasked) still changes the digest.
        n = reference.lengths[name]
        for start in (0, n // 2):
            h.update(reference.fetch(name, start, min(n, start + 4096)).upper().encode())
    return _short(h)
