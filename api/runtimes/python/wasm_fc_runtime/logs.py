"""The function's log, formatted as FC's Python runtime formats it:
`2024-05-01T08:00:00.123Z <request id> [INFO] message`. `print` goes to the log
as is; `logging.getLogger()` is the root logger at INFO with that format, and
every log record carries `request_id`, so users' own formatters may use it."""

import logging
import sys
import time
import traceback

_request_id = ""
_FORMAT = "%(asctime)s %(request_id)s [%(levelname)s] %(message)s"


def set_request_id(request_id: str) -> None:
    """The request id the next log records carry."""
    global _request_id
    _request_id = request_id


def utc_timestamp(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as FC writes log times."""
    whole = int(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + ".%03dZ" % (
        int((seconds - whole) * 1000)
    )


class _Formatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return utc_timestamp(record.created)


def install_logging() -> None:
    """Sets up the root logger the way FC does; runs once, at build time."""
    factory = logging.getLogRecordFactory()

    def with_request_id(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = _request_id
        return record

    logging.setLogRecordFactory(with_request_id)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter(_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def log_exception(error: BaseException) -> None:
    """Writes the traceback of a failed call to the log (stderr)."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    sys.stderr.write(f"{utc_timestamp(time.time())} {_request_id} [ERROR] {text}")
