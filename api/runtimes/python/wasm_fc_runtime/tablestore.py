"""Decodes the TableStore trigger's event, which FC delivers CBOR-encoded.

    from wasm_fc_runtime.tablestore import decode   # or: from fc_tablestore import decode

    def handler(event, context):
        for record in decode(event)["Records"]:
            print(record["Type"], record["PrimaryKey"], record["Columns"])

The result is the event as FC builds it (`Version`, `Records`, `Type`, `Info`,
`PrimaryKey`, `Columns`, `ColumnName`, `Value`, `Timestamp`). Underneath is a
small, complete CBOR (RFC 8949) decoder on the standard library alone, since
the image has no CBOR package: integers, byte and text strings (also
indefinite-length), arrays, maps, tags (the value is the tagged item), false,
true, null and undefined (None), and half, single and double floats.
Malformed or truncated input raises ValueError; nesting is capped at 64.
"""

import struct

MAX_DEPTH = 64
_BREAK = 0xFF
_FLOATS = {25: ">e", 26: ">f", 27: ">d"}
_SIMPLE = {20: False, 21: True, 22: None, 23: None}


def decode(event) -> dict:
    """The TableStore trigger's event: the CBOR map FC sends, as a dict."""
    value = loads(event)
    if not isinstance(value, dict):
        raise ValueError(f"a TableStore event is a CBOR map, not {type(value).__name__}")
    return value


def loads(data):
    """Any single CBOR data item, with nothing after it."""
    if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"CBOR input must be bytes, not {type(data).__name__}")
    data = bytes(data)
    value, pos = _item(data, 0, 0)
    if pos != len(data):
        raise _error(pos, f"{len(data) - pos} bytes after the data item")
    return value


def _error(pos, message):
    return ValueError(f"invalid CBOR at byte {pos}: {message}")


def _head(data, pos):
    """(major type, additional info, argument or None if indefinite, next position)."""
    if pos >= len(data):
        raise _error(pos, "truncated (data item expected)")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        return major, info, info, pos + 1
    if info <= 27:
        size = 1 << (info - 24)
        end = pos + 1 + size
        if end > len(data):
            raise _error(pos, f"truncated ({size}-byte argument expected)")
        return major, info, int.from_bytes(data[pos + 1 : end], "big"), end
    if info == 31 and major in (2, 3, 4, 5, 7):
        return major, info, None, pos + 1
    raise _error(pos, f"reserved initial byte 0x{initial:02x}")


def _take(data, pos, length):
    if length > len(data) - pos:
        raise _error(pos, f"truncated ({length} bytes expected, {len(data) - pos} left)")
    return data[pos : pos + length], pos + length


def _string(data, pos, major, length):
    """A definite byte (major 2) or text (major 3) string's contents."""
    raw, end = _take(data, pos, length)
    if major == 2:
        return raw, end
    try:
        return raw.decode("utf-8"), end
    except UnicodeDecodeError as error:
        raise _error(pos, f"text string is not UTF-8 ({error.reason})") from None


def _item(data, pos, depth):
    if depth > MAX_DEPTH:
        raise _error(pos, f"nested deeper than {MAX_DEPTH}")
    start = pos
    major, info, arg, pos = _head(data, pos)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if arg is not None:
            return _string(data, pos, major, arg)
        chunks = []
        while True:
            if pos >= len(data):
                raise _error(pos, "truncated (indefinite-length string not ended)")
            if data[pos] == _BREAK:
                return (b"" if major == 2 else "").join(chunks), pos + 1
            chunk_major, _, length, chunk_start = _head(data, pos)
            if chunk_major != major or length is None:
                raise _error(pos, "an indefinite-length string's chunks must be definite strings of its type")
            chunk, pos = _string(data, chunk_start, major, length)
            chunks.append(chunk)
    if major == 4:
        out = []
        if arg is None:
            while True:
                if pos >= len(data):
                    raise _error(pos, "truncated (indefinite-length array not ended)")
                if data[pos] == _BREAK:
                    return out, pos + 1
                value, pos = _item(data, pos, depth + 1)
                out.append(value)
        if arg > len(data) - pos:
            raise _error(start, f"truncated (array of {arg} items)")
        for _ in range(arg):
            value, pos = _item(data, pos, depth + 1)
            out.append(value)
        return out, pos
    if major == 5:
        out = {}
        if arg is not None and arg * 2 > len(data) - pos:
            raise _error(start, f"truncated (map of {arg} entries)")
        count = 0
        while arg is None or count < arg:
            if arg is None:
                if pos >= len(data):
                    raise _error(pos, "truncated (indefinite-length map not ended)")
                if data[pos] == _BREAK:
                    return out, pos + 1
            key_pos = pos
            key, pos = _item(data, pos, depth + 1)
            value, pos = _item(data, pos, depth + 1)
            try:
                out[key] = value
            except TypeError:
                raise _error(key_pos, f"a map key cannot be a {type(key).__name__}") from None
            count += 1
        return out, pos
    if major == 6:
        return _item(data, pos, depth + 1)
    # major 7: simple values and floats
    if arg is None:
        raise _error(start, "unexpected break")
    if info in _FLOATS:
        return struct.unpack(_FLOATS[info], data[start + 1 : pos])[0], pos
    if info == 24 and arg < 32:
        raise _error(start, f"simple value {arg} must be encoded in one byte")
    if arg in _SIMPLE:
        return _SIMPLE[arg], pos
    raise _error(start, f"unassigned simple value {arg}")
