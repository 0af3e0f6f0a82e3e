"""serve's drawing and region routes: ``/plot/`` (the ``plot`` figure as SVG) and ``/predict/``."""

import re

from ..errors import UsageError
from .request import BadRequest, parse_variant


def plot_svg(service, params: dict) -> bytes:
    """The ``spliceannot plot`` figure of one variant and transcript, as SVG."""
    import io

    from ..plot import draw, tracks_of

    text = service.variant_text(params.get("variant", ""))
    p = service.parameters({"hg": service.hg, **params})
    variant, problem = parse_variant(text)
    if problem:
        raise BadRequest(problem)
    wanted = params.get("transcript")
    if not service.lock.acquire(timeout=service.deadline):
        raise BadRequest("server busy", status=503)
    try:
        (result,) = service._score([variant], p)
        try:  # the tracks the run's scorer kept, as `spliceannot plot` draws them
            data = tracks_of(variant, result, wanted or None, service.scorer.name)[0]
        except UsageError as exc:
            raise BadRequest(str(exc)) from None
        buffer = io.BytesIO()
        draw(data, buffer, fmt="svg")
    finally:
        service.lock.release()
    return buffer.getvalue()

def region(service, text) -> dict:
    """``predict`` tracks of a region (transcript-masked, as :mod:`spliceannot.tracks`)."""
    from ..tracks.prediction import predict_chunks

    m = re.fullmatch(r"\s*([^\s:]+)(?::([0-9][0-9,]{0,14})-([0-9][0-9,]{0,14}))?\s*", str(text))
    contig = service.reference.resolve(m.group(1)) if m else None
    if contig is None:
        raise BadRequest(f"region {str(text)[:60]!r}: contig not in the FASTA (expected "
                         f"CHROM:START-END)")
    length = service.reference.length(contig)
    start, end = (1, length) if m.group(2) is None else \
        (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
    if not 1 <= start <= end:
        raise BadRequest(f"region {str(text)[:60]!r}: need 1 <= START <= END")
    end = min(end, length)
    if start > end:
        raise BadRequest(f"region {str(text)[:60]!r}: START past the contig end ({length})")
    if end - start + 1 > service.max_region:
        raise BadRequest(f"region of {end - start + 1} positions > {service.max_region}")
    tracks = []
    if not service.lock.acquire(timeout=service.deadline):
        raise BadRequest("server busy", status=503)
    try:
        for chunk in predict_chunks([(contig, start, end)], service.reference, service.model,
                                    service.annotation):
            for run, probs in chunk.runs:
                tracks.append({"gene": run.gene, "strand": run.strand, "start": run.start,
                               "end": run.end, "acceptor": probs[:, 0].tolist(),
                               "donor": probs[:, 1].tolist()})
    finally:
        service.lock.release()
    return {"chrom": contig, "start": start, "end": end, "tracks": tracks}
