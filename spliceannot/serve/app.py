"""The ASGI application: SpliceAI-lookup's ``/spliceai/`` route, a batch route, a region route, the page.

Routes (all answers JSON unless noted; every refusal is a 4xx with ``{"error": one line}``):

* ``GET|POST /spliceai/?hg=38&distance=500&mask=0&variant=chr16-262226-G-A`` -- the lookup's API;
  a POST may carry the same fields as a JSON body.
* ``POST /spliceai/batch`` -- ``{"variants": [...], "distance", "mask", "hg"}`` -> ``{"results":
  [...]}``, one lookup answer (or ``{"variant", "error"}``) per variant, at most ``max_batch``.
* ``GET /predict/?region=chr16:1000-2000`` -- ``predict`` tracks of a region.
* ``GET /plot/?variant=...&transcript=...`` -- the ``spliceannot plot`` figure as SVG.
* ``GET /`` -- the web page.
"""

import json
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from .service import BadRequest

MAX_BODY = 1 << 20  # bytes of a POST body


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": str(message).splitlines()[0][:300], "source": "spliceai"},
                        status_code=status)


async def read_json(request: Request, limit: int) -> dict:
    """The request's JSON body (or {} without one), refusing bodies over ``limit`` bytes."""
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
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def create_app(service, max_body: int = MAX_BODY) -> FastAPI:
    app = FastAPI(title="spliceannot serve", docs_url=None, redoc_url=None, openapi_url=None)
    page = resources.files(__package__).joinpath("page.html").read_text()

    @app.exception_handler(BadRequest)
    async def bad_request(request, exc: BadRequest):
        return error(str(exc), exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        return error("invalid request parameters")

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        return error(exc.detail if exc.status_code != 404 else f"no endpoint {request.url.path}",
                     exc.status_code)

    @app.exception_handler(Exception)
    async def internal(request, exc):  # a bug, not the client's fault: still one line
        return error(f"internal error: {type(exc).__name__}: {exc}", 500)

    @app.api_route("/spliceai/", methods=["GET", "POST"])
    async def spliceai(request: Request):
        params = dict(request.query_params)
        if "variant" not in params and request.method == "POST":
            params.update(await read_json(request, max_body))
        result = await run_in_threadpool(service.lookup, params.get("variant"),
                                         params.get("distance"), params.get("mask"),
                                         params.get("hg"))
        return JSONResponse(result, headers={"Access-Control-Allow-Origin": "*"})

    @app.post("/spliceai/batch")
    async def batch(request: Request):
        body = await read_json(request, max_body)
        if "variants" not in body:
            raise BadRequest('"variants" not specified: {"variants": ["chr16-262226-G-A", ...]}')
        results = await run_in_threadpool(service.batch, body["variants"], body.get("distance"),
                                          body.get("mask"), body.get("hg"))
        return JSONResponse({"results": results})

    @app.get("/predict/")
    async def region(request: Request):
        text = request.query_params.get("region")
        if not text:
            raise BadRequest('"region" not specified: e.g. /predict/?region=chr16:1000-2000')
        return JSONResponse(await run_in_threadpool(service.region, text))

    @app.get("/plot/")
    async def plot(request: Request):
        q = request.query_params
        svg = await run_in_threadpool(service.plot_svg, q.get("variant"), q.get("distance"),
                                      q.get("mask"), q.get("transcript"), q.get("hg"))
        return Response(svg, media_type="image/svg+xml")

    @app.get("/")
    async def index():
        return HTMLResponse(page.replace("{{DISTANCE}}", str(service.distance))
                            .replace("{{MASK}}", str(service.mask))
                            .replace("{{HG}}", service.hg))

    return app
