"""``spliceannot serve``: a self-hosted SpliceAI-lookup-compatible service (needs spliceannot[serve])."""

from typing import Annotated, List, Optional

import typer

from . import session
from ..errors import MissingDependency, UsageError


def serve(
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (indexed)")] = ...,
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="gene annotation: grch37, grch38 or a table/GTF path")] = ...,
    model: Annotated[Optional[List[str]], typer.Option("--model", help="model backend name or checkpoint path; repeat for one route per model family (--model spliceai --model PANGOLIN_DIR: /spliceai/ and /pangolin/)")] = None,
    distance: Annotated[int, typer.Option("-D", "--distance", min=0, max=10000, help="D of requests that give none (the lookup's default: 500)")] = 500,
    mask: Annotated[int, typer.Option("-M", "--mask", min=0, max=1, help="mask of requests that give none")] = 0,
    transcripts: Annotated[Optional[str], typer.Option("--transcripts", help="GTF/GFF3 transcript policy (default: all, as the lookup)")] = None,
    host: Annotated[str, typer.Option("--host", help="address to bind (0.0.0.0 exposes the service to the network)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="port to listen on")] = 8080,
    hg: Annotated[str, typer.Option("--hg", help="the genome build requests must name (hg=37 or 38)")] = "38",
    max_batch: Annotated[int, typer.Option("--max-batch", min=1, help="variants per batch request")] = 100,
    max_region: Annotated[int, typer.Option("--max-region", min=1, help="positions per region request (the model lock is held meanwhile)")] = 10_000,
    max_work: Annotated[int, typer.Option("--max-work", min=1, help="scored positions per request: per variant 2D+1 plus the bases its longer allele adds")] = 2_000_000,
    cache_mb: Annotated[float, typer.Option("--cache-mb", min=0, help="memory for cached answers, in MB")] = 64,
    deadline: Annotated[float, typer.Option("--deadline", min=1, help="seconds a request may take (then 503; its work stops at the next chunk boundary)")] = 120,
    gene_set: Annotated[str, typer.Option("--gene-set", help="the lookup's bc this instance serves: basic (transcripts tagged basic, where the annotation tags any) or comprehensive; the other is refused (400)")] = "basic",
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or auto (the engine's device)")] = "cpu",
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch (default: the CPUs this process may use, at most 4)")] = None,
    plugins_dir: Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no access log")] = False,
):
    """Serve SpliceAI-lookup's API (/spliceai/?variant=..., /pangolin/ with a Pangolin model), a batch and a region endpoint, and a web page."""
    if hg not in ("37", "38"):
        raise UsageError(f"--hg must be 37 or 38, got {hg!r}")
    if gene_set not in ("basic", "comprehensive"):
        raise UsageError(f"--gene-set must be basic or comprehensive, got {gene_set!r}")
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise MissingDependency("spliceannot serve needs FastAPI and uvicorn: "
                                "pip install 'spliceannot[serve]'") from None
    if device not in ("cpu", "auto"):
        from ..engine import resolve_device

        try:
            resolve_device(device)
        except (ValueError, RuntimeError) as exc:
            raise UsageError(f"--device {device}: {exc}") from None
    session.start(quiet, plugins_dir)
    from ..engine import set_threads

    set_threads(threads)
    from ..serve.app import create_app
    from ..serve.service import Service

    from ..serve.limits import limit_arenas

    limit_arenas()
    services = [Service(reference, annotation, name, transcripts, hg, distance, mask, max_batch,
                        max_region, max_work, int(cache_mb * (1 << 20)), deadline,
                        device=device, gene_set=gene_set)
                for name in (model or ["spliceai"])]
    try:
        app = create_app(services)
    except ValueError as exc:
        raise UsageError(f"--model: {exc}") from None
    for service in services:
        service.warm()
    uvicorn.run(app, host=host, port=port, access_log=not quiet,
                log_level="warning" if quiet else "info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
