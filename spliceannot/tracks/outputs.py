"""``spliceannot predict``: check everything, then stream chunks into every registered writer."""

import os
import time

from .. import registry
from ..errors import OutputError, UsageError
from .prediction import predict_chunks
from .regions import gene_regions, merge_regions, parse_region, read_bed_regions


def predict_to_files(reference_path: str, outputs, model_name: str = "spliceai",
                     annotation_spec: str = None, region: str = None, regions_bed: str = None,
                     gene_names=(), transcripts: str = None, threshold: float = 0.5,
                     tile: int = 20000, batch: int = 4, progress: bool = None) -> dict:
    """``spliceannot predict``: check everything, then stream chunks into every output.

    Returns counts for the closing summary. Outputs are removed again if the run fails."""
    from ..progress import Progress
    from ..io.reference import Reference
    outputs = list(outputs)
    if not outputs:
        raise UsageError("no output: give -o FILE (.bw, .bedgraph, .bed, .bed.gz or .tsv)")
    from ..io.output import check_writable_path

    kinds = [registry.track_writer_for(path) for path in outputs]
    for path in outputs:
        check_writable_path(path, "-o")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--threshold must be within [0, 1], got {threshold}")
    if bool(region) + bool(regions_bed) + bool(gene_names) > 1:
        raise UsageError("give one of REGION, --regions and --gene")
    reference = Reference(reference_path)
    genes = None
    if annotation_spec:
        genes = registry.load_annotation(annotation_spec, transcripts=transcripts)
        if not genes.has_splice_sites:  # e.g. -A both-strands: no transcripts, both strands
            genes = None
        else:
            from ..genes.assembly import check_assembly

            check_assembly(reference, genes)  # -A grch38 with a FASTA of another assembly
    elif transcripts:
        raise UsageError("--transcripts needs a GTF/GFF3 annotation (-A)")
    only = None
    if gene_names:
        if genes is None:
            raise UsageError("--gene needs an annotation (-A)")
        regions, only = gene_regions(gene_names, genes, reference)
    elif region:
        regions = [parse_region(region, reference)]
    elif regions_bed:
        regions = read_bed_regions(regions_bed, reference)
    else:
        regions = [(c, 1, n) for c, n in reference.lengths.items()]
    regions = merge_regions(regions, reference)
    model = registry.model(model_name)
    contigs = list(dict.fromkeys((c, reference.length(c)) for c, _, _ in regions))
    strands = ("+", "-")
    classes = tuple(model.track_classes)
    writers = []
    try:
        for kind, path in zip(kinds, outputs):
            writers.append(kind(path, contigs, strands, threshold, classes=classes))
    except OSError as exc:
        _abandon(writers, kinds, outputs, strands, classes)
        raise OutputError(f"-o: cannot write {exc.filename or ''}: "
                          f"{exc.strerror or exc}") from None
    except BaseException:
        _abandon(writers, kinds, outputs, strands, classes)
        raise
    counts = {"positions": 0, "regions": len(regions)}
    try:
        total = sum(end - start + 1 for _, start, end in regions)
        with Progress("predicting", enabled=progress, unit="positions", total=total) as bar:
            started = time.perf_counter()

            def advance(n):
                counts["positions"] += n
                bar.advance(n, counts["positions"], time.perf_counter() - started)

            for chunk in predict_chunks(regions, reference, model, genes, only, tile, batch,
                                        advance):
                for w in writers:
                    w.write(chunk)
    except BaseException:
        _abandon(writers, kinds, outputs, strands, classes)
        raise
    for w in writers:
        w.close()
    reference.close()
    return counts


def _abandon(writers, kinds, outputs, strands, classes) -> None:
    """Close what was opened and take every partial output away, so none is mistaken for a
    finished one."""
    for w in writers:
        try:
            w.close()
        except Exception:
            pass
    for kind, path in zip(kinds, outputs):
        for p in dict.fromkeys(kind.files(path, strands, classes) + [path]):
            if os.path.exists(p):
                os.unlink(p)
