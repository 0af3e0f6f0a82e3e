"""``spliceannot serve``: a self-hosted scoring service with SpliceAI-lookup's API and a web page.

* :mod:`.service` owns what is loaded once (model, reference, annotation), the caches and the
  lock every model call takes; it turns a lookup request into the lookup's JSON layout.
* :mod:`.app` is the ASGI application (FastAPI): routes, request limits, one-line errors.
* ``page.html`` is the web page, self-contained (no CDN assets), served at ``/``.

The HTTP stack is optional: ``pip install 'spliceannot[serve]'`` (FastAPI + uvicorn).
"""
