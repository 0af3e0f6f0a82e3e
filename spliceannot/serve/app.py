"""The ASGI application: SpliceAI-lookup's routes per model family, a batch, a region route, the page.

Routes (answers JSON unless noted; every response, refusals included, carries
``Access-Control-Allow-Origin: *`` as the lookup's does, and an ``OPTIONS`` preflight is
answered):

* ``GET|POST /{family}/?hg=38&distance=500&mask=0&variant=chr16-262226-G-A`` -- the lookup's API
  (``/spliceai/``); a POST may carry the fields as a JSON body. ``variant`` may also be a
  position (``chr16-12272``: REF-only scores). A variant the server cannot score is answered 200
  with ``{"variant", "source", "error"}``, as the lookup answers; one it cannot parse, a missing
  or bad parameter, or the gene set the instance does not serve is a 400 with
  ``{"error", "source"}``; a request past ``--deadline`` is a 503.
* ``GET|POST /{family}/scores/?...&transcript=T`` -- the per-position rows of transcript T for
  the same query (``{"transcript", "strand", "rows"}``), from the cached answer.
* ``POST /{family}/batch`` -- ``{"variants": [...], "hg", "distance", "mask", "bc"}`` ->
  ``{"results": [...]}``, one lookup answer per variant, all scored in one pipeline call.
* ``GET /predict/?region=chr16:1000-2000`` -- ``predict`` tracks of a region.
* ``GET /plot/?variant=...&transcript=...`` -- the ``spliceannot plot`` figure as SVG.
* ``GET /`` -- the web page (``?variant=...&hg=...&distance=...&mask=...`` scores on load).

``ROUTES`` is keyed by model family: a family's service answers ``/{family}/`` and its batch; a
second family (``pangolin``) is one more entry of the ``services`` given to :func:`create_app`.
"""

import asyncio
import html
import json
import time
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from .service import BadRequest

MAX_BODY = 1 << 20  # bytes of a POST body
DEADLINE_SLACK = 1.0  # seconds past the deadline before the client is answered without the work
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = {**CORS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
             "Access-Control-Max-Age": "600"}


def error(message: str, status: int = 400, source: str = None) -> JSONResponse:
    body = {"error": str(message).splitlines()[0][:500] if str(message) else "error"}
    if source:
        body["source"] = source
    return JSONResponse(body, status_code=status, headers=CORS)


class AllowAnyOrigin:
    """ASGI middleware: every response gets ``Access-Control-Allow-Origin: *`` (the lookup runs
    flask-cors with its defaults); ``OPTIONS`` preflights are answered here."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            asked = dict(scope["headers"]).get(b"access-control-request-headers", b"")
            headers = {**PREFLIGHT, "Access-Control-Allow-Headers": asked.decode("latin-1")
                       or "Content-Type"}
            return await Response(status_code=200, headers=headers)(scope, receive, send)

        async def with_cors(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"access-control-allow-origin" not in names:
                    message["headers"] = list(message.get("headers", [])) + [
                        (b"access-control-allow-origin", b"*")]
            await send(message)

        await self.app(scope, receive, with_cors)


async def read_json(request: Request, limit: int) -> dict:
    """The request's JSON body (or {} without one), refusing bodies over ``limit`` bytes, JSON it
    cannot parse (also nested too deep to parse) and anything but an object."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BadRequest(f"request body over {limit} bytes", status=413)
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise BadRequest(f"request body over {limit} bytes", status=413)
    if not data.strip():
        return {}
    try:
        body = json.loads(bytes(data))
    except RecursionError:
        raise BadRequest("request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


async def params_of(request: Request, limit: int) -> dict:
    """Query parameters, then (as the lookup) a JSON body's when the query names no variant."""
    params = dict(request.query_params)
    if "variant" not in params and request.method == "POST":
        params.update(await read_json(request, limit))
    return params


async def within(service, fn, *args):
    """Run ``fn`` in a worker thread; past the service's deadline the client gets a 503. The
    service checks the same deadline at each chunk boundary, so the work stops there and the
    model goes to the next request (a thread cannot be killed mid-chunk)."""
    try:
        return await asyncio.wait_for(run_in_threadpool(fn, *args),
                                      timeout=service.deadline + DEADLINE_SLACK)
    except asyncio.TimeoutError:
        raise BadRequest(f"no answer within the {service.deadline:g} s deadline", status=503) \
            from None


def add_family(app: FastAPI, family: str, service, max_body: int) -> None:
    """``/{family}/`` and ``/{family}/batch`` answered by ``service``."""

    async def single(request: Request):
        params = await params_of(request, max_body)
        return JSONResponse(await within(service, service.lookup, params, time.monotonic()),
                            headers=CORS)

    async def batch(request: Request):
        params = await read_json(request, max_body)
        return JSONResponse({"results": await within(service, service.batch, params,
                                                     time.monotonic())}, headers=CORS)

    async def scores(request: Request):
        params = await params_of(request, max_body)
        return JSONResponse(await within(service, service.scores, params, time.monotonic()),
                            headers=CORS)

    app.add_api_route(f"/{family}/", single, methods=["GET", "POST"])
    app.add_api_route(f"/{family}/batch", batch, methods=["POST"])
    for path in (f"/{family}/scores/", f"/{family}/scores"):  # the lookup: strict_slashes off
        app.add_api_route(path, scores, methods=["GET", "POST"])


def create_app(services, max_body: int = MAX_BODY) -> FastAPI:
    """The app for one service, a list of them (one per model family) or a {family: service}
    table (ROUTES); two services of one family are refused."""
    if isinstance(services, dict):
        routes = services
    else:
        listed = list(services) if isinstance(services, (list, tuple)) else [services]
        routes = {s.family: s for s in listed}
        if len(routes) != len(listed):
            raise ValueError("serve runs one model per route: two models of one family given")
    main = next(iter(routes.values()))
    app = FastAPI(title="spliceannot serve", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(AllowAnyOrigin)
    page = resources.files(__package__).joinpath("page.html").read_text()

    @app.exception_handler(BadRequest)
    async def bad_request(request, exc: BadRequest):
        family = request.url.path.strip("/").split("/")[0]
        return error(str(exc), exc.status, family if family in routes else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        return error("invalid request parameters")

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        return error(exc.detail if exc.status_code != 404 else f"no endpoint {request.url.path}",
                     exc.status_code)

    @app.exception_handler(Exception)
    async def internal(request, exc):  # a bug, not the client's fault: still one line
        return error(f"internal error: {type(exc).__name__}", 500)

    for family, service in routes.items():
        add_family(app, family, service, max_body)

    @app.get("/predict/")
    async def region(request: Request):
        text = request.query_params.get("region")
        if not text:
            raise BadRequest('"region" not specified: e.g. /predict/?region=chr16:1000-2000')
        return JSONResponse(await within(main, main.region, text))

    @app.get("/plot/")
    async def plot(request: Request):
        svg = await within(main, main.plot_svg, dict(request.query_params))
        return Response(svg, media_type="image/svg+xml")

    @app.get("/")
    async def index():
        fill = {"DISTANCE": main.distance, "MASK": main.mask, "HG": main.hg,
                "FAMILY": main.family, "PLACEHOLDER": main.placeholder}
        text = page
        for key, value in fill.items():
            text = text.replace("{{%s}}" % key, html.escape(str(value)))
        return HTMLResponse(text)

    return app
