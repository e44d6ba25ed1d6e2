"""What the Alibaba Cloud OpenAPI (Tea) SDK suites share: the client config for the
server under test (from WASM_FC_ENDPOINT, WASM_FC_KEY_ID, WASM_FC_KEY_SECRET), guest
zips, FC's CRC-64/XZ `codeChecksum`, and a plain HTTP GET."""

import io
import os
import urllib.error
import urllib.request
import zipfile

from alibabacloud_tea_openapi.utils_models import Config

ENDPOINT = os.environ.get("WASM_FC_ENDPOINT", "")


def config(secret=None, **extra):
    """A Config for the server under test; `extra` sets Config attributes
    (e.g. signature_algorithm="v2")."""
    c = Config(
        access_key_id=os.environ["WASM_FC_KEY_ID"],
        access_key_secret=secret or os.environ["WASM_FC_KEY_SECRET"],
        endpoint=ENDPOINT.split("://", 1)[-1].rstrip("/"),
        protocol="http",
        region_id="cn-hangzhou",
        read_timeout=60000,
        connect_timeout=10000,
    )
    for key, value in extra.items():
        setattr(c, key, value)
    return c


def zip_bytes(guest_env):
    """A zip holding the guest named by env `guest_env` as index.wasm."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.write(os.environ[guest_env], "index.wasm")
    return buffer.getvalue()


def crc64_xz(data):
    """CRC-64/XZ (ECMA-182, reflected), what FC reports as `codeChecksum`."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def http_get(url):
    """(status, body) of a plain GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
