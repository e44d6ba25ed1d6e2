"""A handler's return value as result bytes, as FC's Python runtime does."""

import json


def to_bytes(value) -> bytes:
    """bytes as they are, str as UTF-8, None as empty, anything else as JSON
    (a value JSON cannot encode raises TypeError, reported as the function's error)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if value is None:
        return b""
    return json.dumps(value).encode("utf-8")
