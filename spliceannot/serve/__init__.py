"""``spliceannot serve``: a self-hosted scoring service with SpliceAI-lookup's API and a web page.

* :mod:`.service` owns what is loaded once for one model (model, reference, annotation) and
  runs requests through the scoring pipeline.
* :mod:`.families` maps a scorer to its route (``/spliceai/``, ``/pangolin/``) and builds that
  family's answer fields; :mod:`.answer` builds SpliceAI's (the lookup's JSON).
* :mod:`.limits` bounds load: the first-come model lock, chunks, work, the answer cache,
  per-setting state, the allocator.
* :mod:`.regions` answers ``/plot/`` and ``/predict/``.
* :mod:`.app` is the ASGI application (FastAPI): routes keyed by model family, request limits,
  CORS, one-line errors.
* ``page.html`` is the web page, self-contained (no CDN assets), served at ``/``.

The HTTP stack is optional: ``pip install 'spliceannot[serve]'`` (FastAPI + uvicorn).
"""
