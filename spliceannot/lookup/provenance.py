"""Content digests that identify a run's inputs: model weights, gene annotation and reference.

Written into every output header (``##spliceannot_model_hash=...``) and used as the key of the
persistent score cache, so a score is only reused with the same weights, genes and genome.
"""

import hashlib
import json


def _short(h) -> str:
    return "sha256:" + h.hexdigest()[:16]


def model_digest(model) -> str:
    """A backend's ``digest()`` if it has one; else the SHA-256s of its ``weight_files()``,
    kept by file stat (:mod:`spliceannot.io.identity`: no weights are loaded for it); else its
    SpliceNets' parameters and temperatures; else its declared identity (``info()``)."""
    cached = getattr(model, "_spliceannot_digest", None)
    if cached:
        return cached
    own = getattr(model, "digest", None)
    files = [] if callable(own) else list(getattr(model, "weight_files", list)() or [])
    if callable(own):
        value = own()
    elif files:
        from ..io import identity

        value = identity.files_digest(files)
    else:
        from ..models import EnsembleModel

        h = hashlib.sha256()
        if isinstance(model, EnsembleModel):
            for net in model.networks():
                for key, tensor in net.state_dict().items():
                    h.update(key.encode())
                    h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
            h.update(json.dumps(getattr(model, "temperatures", None), default=str).encode())
        else:  # a backend without weights we can see: its declared identity
            h.update(json.dumps(model.info(), sort_keys=True, default=str).encode())
        value = _short(h)
    try:
        model._spliceannot_digest = value
    except AttributeError:
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
    """The genome a run reads: every contig's name, length and full-sequence MD5 (as ``samtools
    dict`` M5), computed once per FASTA and kept by stat (:mod:`spliceannot.io.identity`). A genome
    differing by one base, or only in a contig's middle, has another digest."""
    return reference.identity()
