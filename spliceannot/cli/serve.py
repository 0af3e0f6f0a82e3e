"""``spliceannot serve``: a self-hosted SpliceAI-lookup-compatible service (needs spliceannot[serve])."""

from typing import Annotated, List, Optional

import typer

from . import parameters, session
from ..errors import MissingDependency, UsageError

GROUPS = ("input", "scoring", "engine")


def serve(
    # Repeatable, unlike score's --model: one route per model family.
    models: Annotated[Optional[List[str]], typer.Option("--model", metavar="NAME|DIR", help="model name or checkpoint; repeat for one route per family (/spliceai/, /pangolin/)", rich_help_panel="Input")] = None,
    host: Annotated[str, typer.Option("--host", metavar="ADDR", help="address to bind (0.0.0.0: the network)", rich_help_panel="Service")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, metavar="N", help="port to listen on", rich_help_panel="Service")] = 8080,
    hg: Annotated[str, typer.Option("--hg", metavar="37|38", help="the genome build requests must name", rich_help_panel="Service")] = "38",
    max_batch: Annotated[int, typer.Option("--max-batch", min=1, metavar="N", help="variants per batch request", rich_help_panel="Service")] = 100,
    max_region: Annotated[int, typer.Option("--max-region", min=1, metavar="N", help="positions per region request", rich_help_panel="Service")] = 10_000,
    max_work: Annotated[int, typer.Option("--max-work", min=1, metavar="N", help="scored positions per request: per variant 2D+1 plus inserted bases", rich_help_panel="Service")] = 2_000_000,
    cache_mb: Annotated[float, typer.Option("--cache-mb", min=0, metavar="MB", help="memory for cached answers", rich_help_panel="Service")] = 64,
    deadline: Annotated[float, typer.Option("--deadline", min=1, metavar="S", help="seconds a request may take (then 503)", rich_help_panel="Service")] = 120,
    gene_set: Annotated[str, typer.Option("--gene-set", metavar="SET", help="the lookup's bc served: basic or comprehensive", rich_help_panel="Service")] = "basic",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no access log", rich_help_panel="Service")] = False,
    chosen: dict = None,
):
    """Serve SpliceAI-lookup's API (/spliceai/?variant=..., /pangolin/ with a Pangolin model), a batch and a region endpoint, and a web page.

    The scoring options set the defaults of requests that give none; those unset follow the
    lookup profile (-D 500, every transcript)."""
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
    session.start(quiet, chosen.get("plugins_dir"))
    from ..options import Options, check, scoring
    from ..serve.app import create_app
    from ..serve.service import Service
    from ..session import check_device

    opts = Options(**{k: v for k, v in chosen.items() if v is not None}, progress=False)
    check(opts)
    check_device(opts.device)
    if opts.distance > 10000:
        raise UsageError(f"-D must be <= 10000 for serve, got {opts.distance}")
    from ..engine import set_threads

    set_threads(opts.threads)
    from ..serve.limits import limit_arenas

    limit_arenas()
    given = {o.name: opts[o.name] for o in scoring()
             if o.name not in ("distance", "mask") and chosen.get(o.name) is not None}
    services = [Service(opts.reference, opts.annotation, name, opts.transcripts, hg,
                        chosen.get("distance"), int(opts.mask), max_batch, max_region, max_work,
                        int(cache_mb * (1 << 20)), deadline, scorer=opts.scorer,
                        device=opts.device, batch_size=opts.batch_size, gene_set=gene_set,
                        defaults=given)
                for name in (models or ["spliceai"])]
    try:
        app = create_app(services)
    except ValueError as exc:
        raise UsageError(f"--model: {exc}") from None
    for service in services:
        service.warm()
    uvicorn.run(app, host=host, port=port, access_log=not quiet,
                log_level="warning" if quiet else "info")


def register(app: typer.Typer) -> None:
    app.command("serve", cls=parameters.Command)(parameters.command(
        serve, GROUPS, exclude=("model",), defaults={"distance": "500, the lookup's"}))
