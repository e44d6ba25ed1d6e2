"""wasm-fc's Python runtime: Alibaba Function Compute's Python handler
conventions, on CPython compiled to WebAssembly by componentize-py.

This module is the component's entry point (`componentize-py componentize
wasm_fc_runtime`). Everything imported here is imported at build time and so
lives in the pre-initialised memory image: a fresh instance starts with the
interpreter, the standard library modules below and this runtime ready.
The user's code is loaded from `/code` on the first call of each instance.
"""

import sys

from componentize_py_types import Err

import wit_world
from wit_world.imports.http_types import HttpResponse

from . import preload  # noqa: F401  (standard library kept in the memory image)
from . import stdlib
from . import tablestore  # the TableStore trigger's CBOR event decoder, in the image
from .context import Context
from .errors import report
from .loader import Loader
from .logs import install_logging, set_request_id
from .results import to_bytes
from .wsgi import call_wsgi

install_logging()
stdlib.install()
# User code may also write `import fc_tablestore` (sys.modules survives into the image).
sys.modules["fc_tablestore"] = tablestore
# The build's mounts (/python, /0, /bundled, ...) do not exist at run time; the
# loader puts /code and the layers on the path when the first call comes.
sys.path.clear()
sys.path_importer_cache.clear()
_loader = Loader()


class WitWorld(wit_world.WitWorld):
    """The `interpreted` world's three exports."""

    def initialize(self, ctx) -> None:
        context = Context(ctx)
        set_request_id(context.request_id)
        try:
            _loader.function(context.function.initializer)(context)
        except BaseException as error:  # noqa: BLE001  (every failure is FC's error)
            raise Err(report(error)) from None
        finally:
            _flush()

    def handle(self, event: bytes, ctx) -> bytes:
        context = Context(ctx)
        set_request_id(context.request_id)
        try:
            return to_bytes(_loader.function(context.function.handler)(event, context))
        except BaseException as error:  # noqa: BLE001
            raise Err(report(error)) from None
        finally:
            _flush()

    def handle_http(self, request, ctx) -> HttpResponse:
        context = Context(ctx)
        set_request_id(context.request_id)
        try:
            handler = _loader.function(context.function.handler)
            return call_wsgi(handler, request, context)
        except BaseException as error:  # noqa: BLE001
            raise Err(report(error)) from None
        finally:
            _flush()


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
