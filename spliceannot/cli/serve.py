"""``spliceannot serve``: a self-hosted SpliceAI-lookup-compatible service (needs spliceannot[serve])."""

from typing import Annotated

import typer

from . import parameters, session
from ..errors import MissingDependency, UsageError

GROUPS = ("input", "scoring", "engine")


def serve(
    host: Annotated[str, typer.Option("--host", metavar="ADDR", help="address to bind (0.0.0.0: the network)", rich_help_panel="Service")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, metavar="N", help="port to listen on", rich_help_panel="Service")] = 8080,
    hg: Annotated[str, typer.Option("--hg", metavar="37|38", help="the genome build requests must name", rich_help_panel="Service")] = "38",
    max_batch: Annotated[int, typer.Option("--max-batch", min=1, metavar="N", help="variants per batch request", rich_help_panel="Service")] = 100,
    max_region: Annotated[int, typer.Option("--max-region", min=1, metavar="N", help="positions per region request", rich_help_panel="Service")] = 10_000,
    max_work: Annotated[int, typer.Option("--max-work", min=1, metavar="N", help="scored positions per request: variants x (2D+1)", rich_help_panel="Service")] = 2_000_000,
    cache_mb: Annotated[float, typer.Option("--cache-mb", min=0, metavar="MB", help="memory for cached answers", rich_help_panel="Service")] = 64,
    deadline: Annotated[float, typer.Option("--deadline", min=1, metavar="S", help="seconds a request may wait (then 503)", rich_help_panel="Service")] = 120,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no access log", rich_help_panel="Service")] = False,
    chosen: dict = None,
):
    """Serve SpliceAI-lookup's API (/spliceai/?variant=...), a batch and a region endpoint, and a web page.

    The scoring options set the defaults of requests that give none; those unset follow the
    lookup profile (-D 500, every transcript)."""
    if hg not in ("37", "38"):
        raise UsageError(f"--hg must be 37 or 38, got {hg!r}")
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise MissingDependency("spliceannot serve needs FastAPI and uvicorn: "
                                "pip install 'spliceannot[serve]'") from None
    session.start(quiet, chosen.get("plugins_dir"))
    from ..options import Options, check
    from ..serve.app import create_app
    from ..serve.service import Service
    from ..session import check_device

    opts = Options(**{k: v for k, v in chosen.items() if v is not None}, progress=False)
    check(opts)
    check_device(opts.device)
    if opts.distance > 10000:
        raise UsageError(f"-D must be <= 10000 for serve, got {opts.distance}")
    if opts.threads:
        import torch

        torch.set_num_threads(opts.threads)
    service = Service(opts, hg=hg, distance=chosen.get("distance"), mask=int(opts.mask),
                      max_batch=max_batch, max_region=max_region, max_work=max_work,
                      cache_bytes=int(cache_mb * (1 << 20)), deadline=deadline)
    uvicorn.run(create_app(service), host=host, port=port, access_log=not quiet,
                log_level="warning" if quiet else "info")


def register(app: typer.Typer) -> None:
    app.command("serve", cls=parameters.Command)(parameters.command(serve, GROUPS,
                                            defaults={"distance": "500, the lookup's"}))
