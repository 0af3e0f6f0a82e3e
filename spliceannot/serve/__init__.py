"""``spliceannot serve``: a self-hosted scoring service with SpliceAI-lookup's API and a web page.

* :mod:`.service` owns what is loaded once (model, reference, annotation), the answer cache and
  the lock every model call takes; it runs requests through the scoring pipeline.
* :mod:`.answer` builds the lookup's JSON from a pipeline result.
* :mod:`.app` is the ASGI application (FastAPI): routes keyed by model family, request limits,
  CORS, one-line errors.
* ``page.html`` is the web page, self-contained (no CDN assets), served at ``/``.

The HTTP stack is optional: ``pip install 'spliceannot[serve]'`` (FastAPI + uvicorn).
"""
