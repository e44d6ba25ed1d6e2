"""FC's Python HTTP handlers are WSGI applications (PEP 3333):
`handler(environ, start_response)`. FC adds `fc.context` and `fc.request_uri`."""

import io
import sys
from urllib.parse import unquote_to_bytes

from wit_world.imports.http_types import HttpResponse


class _Response:
    def __init__(self):
        self.status = None
        self.headers = []
        self.chunks = []

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None and self.status is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        code = str(status).split(" ", 1)[0]
        if not code.isdigit():
            raise ValueError(f"start_response got status {status!r}; expected e.g. '200 OK'")
        self.status = int(code)
        self.headers = [(str(k), str(v)) for k, v in headers]
        return self.chunks.append


def environ_of(request, context) -> dict:
    """The WSGI environ for one request."""
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": request.query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.client_ip,
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.context": context,
        "fc.request_uri": request.url,
    }
    for name, value in request.headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if key == "CONTENT_LENGTH":
            continue
        key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    if "HTTP_HOST" in environ:
        host, _, port = environ["HTTP_HOST"].partition(":")
        environ["SERVER_NAME"] = host
        environ["SERVER_PORT"] = port or "80"
    return environ


def call_wsgi(app, request, context) -> HttpResponse:
    """Runs a WSGI app on one request and collects its whole response."""
    response = _Response()
    result = app(environ_of(request, context), response.start_response)
    try:
        for chunk in result or ():
            response.chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if response.status is None:
        raise RuntimeError("the WSGI handler returned without calling start_response")
    body = b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in response.chunks)
    return HttpResponse(status=response.status, headers=response.headers, body=body)
