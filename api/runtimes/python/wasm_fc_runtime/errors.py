"""Exceptions as FC reports them: errorType, errorMessage and a stackTrace of
`["File \"/code/index.py\"", "line 2", "in handler", "source"]` frames."""

import traceback

from wit_world.imports.http_types import RuntimeError as WitError
from wit_world.imports.http_types import StackFrame_Parts

from .logs import log_exception

_RUNTIME_DIR = __file__.rsplit("/", 1)[0]


class HandlerNotFound(Exception):
    """The handler string names a file or function that does not exist."""


def report(error: BaseException) -> WitError:
    """The WIT error for an exception raised by the user's code, which is also
    written to the function's log as a traceback (FC does the same)."""
    log_exception(error)
    frames = [
        StackFrame_Parts(
            [
                f'File "{frame.filename}"',
                f"line {frame.lineno}",
                f"in {frame.name}",
                frame.line or "",
            ]
        )
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(_RUNTIME_DIR)
    ]
    return WitError(
        handled=False,
        error_type=type(error).__name__,
        error_message=str(error),
        stack_trace=frames,
    )
