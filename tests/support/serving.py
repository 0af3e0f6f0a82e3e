"""A real uvicorn server on a free loopback port, for the serve tests."""

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port() -> int:
    """A loopback port free now, for a server started in a subprocess."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """uvicorn in a thread on a free 127.0.0.1 port; ``get``/``post`` return (status, body)."""

    def __init__(self, app):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        import uvicorn

        config = uvicorn.Config(app, log_level="error", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        for _ in range(200):  # bounded wait for startup
            if self.server.started:
                break
            time.sleep(0.05)
        assert self.server.started

    def request(self, path, data=None, headers=None, method=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {},
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def get(self, path, **params):
        status, body, headers = self.request(path + "?" + urllib.parse.urlencode(params))
        return status, (json.loads(body) if "json" in headers.get("content-type", "") else body)

    def post(self, path, payload, raw=None):
        data = raw if raw is not None else json.dumps(payload).encode()
        status, body, headers = self.request(path, data, {"Content-Type": "application/json"})
        return status, (json.loads(body) if "json" in headers.get("content-type", "") else body)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=30)
