"""``spliceannot predict``: check everything, then stream chunks into every registered writer.

Each ``-o`` is written inside a private directory beside it (``.NAME.partial.d``) and its files
are renamed into place only when the run completes, under the output's lock, as ``score``
writes ``OUT.partial``: a failed run leaves the earlier outputs as they were and never a
half-written file under a final name.
"""

import os
import shutil
import time

from .. import registry
from ..errors import OutputError, UsageError
from .prediction import predict_chunks
from .regions import gene_regions, merge_regions, parse_region, read_bed_regions


class TrackTarget:
    """One ``-o`` of ``predict``: its writer writes under ``working``; ``commit`` publishes."""

    def __init__(self, path: str):
        from ..io.output import OutputTarget

        self.target = OutputTarget(path, "-o")
        self.path = path
        if self.target.direct:  # a device: written through the name given
            self.directory, self.working = None, path
        else:
            real = self.target.real
            self.directory = os.path.join(os.path.dirname(real),
                                          f".{os.path.basename(real)}.partial.d")
            self.working = os.path.join(self.directory, os.path.basename(path))

    def open(self) -> None:
        self.target.lock()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)  # an earlier run's leftovers
            os.mkdir(self.directory)

    def commit(self) -> None:
        if self.directory:
            destination = os.path.dirname(self.target.real)
            for name in sorted(os.listdir(self.directory)):
                os.replace(os.path.join(self.directory, name), os.path.join(destination, name))
            os.rmdir(self.directory)
        self.target.unlock()

    def abandon(self) -> None:
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.target.unlock()


def predict_to_files(opts, outputs, region: str = None, regions_bed: str = None,
                     gene_names=(), threshold: float = 0.5, tile: int = 20000, batch: int = 4,
                     progress: bool = None) -> dict:
    """``spliceannot predict``: check everything, then stream chunks into every output.

    ``opts``: the run's options (-R, -A, --model, --transcripts). Returns counts for the
    closing summary; a failed run publishes no output."""
    from ..progress import Progress
    from ..session import Session

    outputs = list(outputs)
    if not outputs:
        raise UsageError("no output: give -o FILE (.bw, .bedgraph, .bed, .bed.gz or .tsv)")
    kinds = [registry.track_writer_for(path) for path in outputs]
    targets = [TrackTarget(path) for path in outputs]
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--threshold must be within [0, 1], got {threshold}")
    if bool(region) + bool(regions_bed) + bool(gene_names) > 1:
        raise UsageError("give one of REGION, --regions and --gene")
    with Session.for_prediction(opts) as session:
        reference, genes = session.reference, session.genes
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
        model = session.model
        contigs = list(dict.fromkeys((c, reference.length(c)) for c, _, _ in regions))
        strands = ("+", "-")
        classes = tuple(model.track_classes)
        writers, opened = [], []
        try:
            for kind, target in zip(kinds, targets):
                target.open()
                opened.append(target)
                writers.append(kind(target.working, contigs, strands, threshold,
                                    classes=classes))
            counts = {"positions": 0, "regions": len(regions)}
            total = sum(end - start + 1 for _, start, end in regions)
            with Progress("predicting", enabled=progress, unit="positions",
                          total=total) as bar:
                started = time.perf_counter()

                def advance(n):
                    counts["positions"] += n
                    bar.advance(n, counts["positions"], time.perf_counter() - started)

                for chunk in predict_chunks(regions, reference, model, genes, only, tile, batch,
                                            advance):
                    for w in writers:
                        w.write(chunk)
            for w in writers:
                w.close()
            writers = []
        except OSError as exc:
            _abandon(writers, opened)
            raise OutputError(f"-o: cannot write {exc.filename or ''}: "
                              f"{exc.strerror or exc}") from None
        except BaseException:
            _abandon(writers, opened)
            raise
    for target in targets:
        target.commit()
    return counts


def _abandon(writers, targets) -> None:
    """Close what was opened and take every partial output away, so none is mistaken for a
    finished one (the outputs of an earlier run stay as they were)."""
    for w in writers:
        try:
            w.close()
        except Exception:
            pass
    for target in targets:
        target.abandon()
