"""Signature test vectors made by the FC OpenAPI SDKs' own signer.

Every vector is a real SDK call (`alibabacloud_fc20230330`, `alibabacloud_fc_open20210406`,
or the generic `alibabacloud_tea_openapi` client they both use) with the clock, the nonce
and the user agent pinned. The call goes to a capture server on 127.0.0.1 (the client thinks
it talks to 127.0.0.1:9000), which records what came over the wire: the method, the raw path
and query of the request line, the headers in the order and spelling they were sent, and the
body. So each vector is exactly what wasm-fc sees, and the Rust verifier test
(api/tests/fixtures/acs3_vectors.json) checks it accepts them.

    python3 acs3_vectors.py                 # prints the vectors (JSON, sorted keys)
    python3 acs3_vectors.py --check FILE    # exit 1 if FILE differs from what the SDK makes now

`ACS3-HMAC-SHA256` is `Utils.get_authorization` (the SDK's `do_request`); `acs-v2` is the
older ROA form `acs <AK>:<base64 HMAC-SHA1>` from `Utils.get_string_to_sign` and
`Utils.get_roasignature` (`do_roarequest`, used with `Config(signature_algorithm='v2')`).
"""

import io
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import urllib3.util.connection
from alibabacloud_fc20230330 import models as fc3_models
from alibabacloud_fc20230330.client import Client as Fc3Client
from alibabacloud_fc_open20210406 import models as o21_models
from alibabacloud_fc_open20210406.client import Client as Open21Client
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

KEY_ID = "LTAI5tVectorKeyId"
SECRET = "VectorSecret0123456789abcdefABCD"
STS_TOKEN = "CAIS+vectorSecurityToken/with=chars&more=="
ACS_DATE = "2026-12-01T10:00:00Z"
HTTP_DATE = "Tue, 01 Dec 2026 10:00:00 GMT"
NOW = "2026-12-01T10:00:00Z"
# What the SDK would put there on the lead's machine; pinned so the vectors do not depend
# on the Python version or the OS that generates them.
USER_AGENT = "AlibabaCloud (Linux; x86_64) Python/3.11.2 Core/0.4.3 TeaDSL/2"
# The endpoint the clients are configured with (their `host` header, which is signed).
ENDPOINT = "127.0.0.1:9000"


class _Capture(BaseHTTPRequestHandler):
    """Records one request as it arrived and answers `{}` (which every SDK call accepts)."""

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.path
        path, _, query = target.partition("?")
        self.server.captured.append({
            "method": self.command,
            "path": path,
            "query": query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8"),
        })
        reply = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


class _Pinned:
    """Pins the SDK's clock, nonce and user agent; routes 127.0.0.1:9000 to the capture server."""

    def __init__(self):
        self.server = HTTPServer(("127.0.0.1", 0), _Capture)
        self.server.captured = []
        self.nonce = None
        self._saved = {}

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = self.server.server_address[1]
        real_connect = urllib3.util.connection.create_connection

        def connect(address, *args, **kwargs):
            if tuple(address) == ("127.0.0.1", 9000):
                address = ("127.0.0.1", port)
            return real_connect(address, *args, **kwargs)

        patches = {
            "get_timestamp": staticmethod(lambda: ACS_DATE),
            "get_date_utcstring": staticmethod(lambda: HTTP_DATE),
            "get_nonce": staticmethod(lambda: self.nonce),
            "get_user_agent": staticmethod(lambda user_agent=None: USER_AGENT),
        }
        for name, value in patches.items():
            self._saved[name] = Utils.__dict__[name]
            setattr(Utils, name, value)
        self._saved_connect = real_connect
        urllib3.util.connection.create_connection = connect
        return self

    def __exit__(self, *exc):
        for name, value in self._saved.items():
            setattr(Utils, name, value)
        urllib3.util.connection.create_connection = self._saved_connect
        self.server.shutdown()
        self.server.server_close()

    def capture(self, nonce, call):
        """Runs `call()` with `nonce` and returns the one request it sent."""
        self.nonce = nonce
        before = len(self.server.captured)
        call()
        sent = self.server.captured[before:]
        assert len(sent) == 1, f"expected one request, got {len(sent)}"
        return sent[0]


def _config(v2=False, sts=False):
    config = Config(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        endpoint=ENDPOINT,
        protocol="http",
        region_id="cn-hangzhou",
    )
    if sts:
        config.security_token = STS_TOKEN
    if v2:
        config.signature_algorithm = "v2"
    return config


def _generic(client, action, version, method, pathname, query=None, body=None, headers=None):
    """A call through the OpenAPI client the FC SDKs extend (style ROA, JSON body)."""
    params = Params(
        action=action, version=version, protocol="HTTPS", pathname=pathname, method=method,
        auth_type="AK", style="ROA", req_body_type="json", body_type="json",
    )
    request = OpenApiRequest(headers=headers or {}, query=query, body=body)
    return client.call_api(params, request, RuntimeOptions())


def _cases():
    """(name, algorithm, nonce, call(clients)) for every vector."""
    fc3 = lambda c: c["fc3"]
    return [
        ("acs3-get-no-query", "ACS3-HMAC-SHA256", "1a2b3c4d5e6f70819203a4b5c6d7e8f9",
         lambda c: fc3(c).list_functions(fc3_models.ListFunctionsRequest())),
        ("acs3-get-query-special-chars", "ACS3-HMAC-SHA256", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
         # Inserted unsorted; the values hold a space, / ~ + = & and non-ASCII text.
         lambda c: _generic(c["generic"], "ListFunctions", "2023-03-30", "GET", "/2023-03-30/functions", query={
             "prefix": "a b/c~d+e=f&g",
             "limit": "10",
             "nextToken": "tök/én 世界",
             "fnName": "svc$fn",
             "empty": "",
             "Zeta": "upper*case'(quote)!",
         })),
        ("acs3-get-sdk-list-query", "ACS3-HMAC-SHA256", "aa11bb22cc33dd44ee55ff6600778899",
         lambda c: fc3(c).list_functions(fc3_models.ListFunctionsRequest(
             prefix="f3_", limit=2, next_token="f3_b c"))),
        ("acs3-post-json-body", "ACS3-HMAC-SHA256", "5d41402abc4b2a76b9719d911017c592",
         lambda c: fc3(c).create_function(fc3_models.CreateFunctionRequest(body=fc3_models.CreateFunctionInput(
             function_name="f3_vector",
             runtime="custom",
             handler="index.handler",
             code=fc3_models.InputCodeLocation(zip_file="UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="),
             memory_size=128,
             timeout=10,
             description='vector "quoted" & unicode \u2713 \u00e9',
             environment_variables={"GREETING": "h\u00e9llo w\u00f6rld"},
         )))),
        ("acs3-get-percent-encoded-path", "ACS3-HMAC-SHA256", "7d793037a0760186574b0282f2f435e7",
         lambda c: fc3(c).get_function("svc$fn", fc3_models.GetFunctionRequest(qualifier="LATEST"))),
        ("acs3-put-json-body", "ACS3-HMAC-SHA256", "9e107d9d372bb6826bd81d3542a419d6",
         lambda c: fc3(c).update_function("svc$fn", fc3_models.UpdateFunctionRequest(
             body=fc3_models.UpdateFunctionInput(memory_size=256, environment_variables={"A": "b c"})))),
        ("acs3-delete", "ACS3-HMAC-SHA256", "e4d909c290d0fb1ca068ffaddf22cbd0",
         lambda c: fc3(c).delete_function("f3_vector")),
        ("acs3-post-invoke-binary-body", "ACS3-HMAC-SHA256", "d41d8cd98f00b204e9800998ecf8427e",
         lambda c: fc3(c).invoke_function_with_options(
             "f3_vector",
             fc3_models.InvokeFunctionRequest(body=io.BytesIO(b'{"name":"vector"}'), qualifier="prod"),
             fc3_models.InvokeFunctionHeaders(x_fc_invocation_type="Sync", x_fc_log_type="Tail"),
             RuntimeOptions())),
        ("acs3-sts-security-token", "ACS3-HMAC-SHA256", "c4ca4238a0b923820dcc509a6f75849b",
         lambda c: c["fc3_sts"].get_function("f3_vector", fc3_models.GetFunctionRequest())),
        ("acs3-2021-get-service", "ACS3-HMAC-SHA256", "c81e728d9d4c2f636f067f89cc14862c",
         lambda c: c["o21"].get_service("o21_svc", o21_models.GetServiceRequest())),
        ("acs3-2021-invoke-mixed-case-headers", "ACS3-HMAC-SHA256", "eccbc87e4b5ce2fe28308d09f0f5bce1",
         lambda c: c["o21"].invoke_function_with_options(
             "o21_svc", "fn$1",
             o21_models.InvokeFunctionRequest(body=b"plain bytes \xe2\x9c\x93", qualifier="LATEST"),
             o21_models.InvokeFunctionHeaders(x_fc_invocation_type="Async", x_fc_log_type="None"),
             RuntimeOptions())),
        ("acs-v2-get-service", "acs-v2", "a87ff679a2f3e71d9181a67b7542122c",
         lambda c: c["o21_v2"].get_service("o21_svc", o21_models.GetServiceRequest(qualifier="prod"))),
        ("acs-v2-post-json-body", "acs-v2", "e4da3b7fbbce2345d7772b0674a318d5",
         lambda c: c["o21_v2"].create_service(o21_models.CreateServiceRequest(
             service_name="o21_v2svc", description="made with \u00e0 v2 signature & more"))),
        ("acs-v2-get-query-encoded-path", "acs-v2", "1679091c5a880faf6fb5e6087eb1b2dc",
         lambda c: c["o21_v2"].list_functions("svc$x", o21_models.ListFunctionsRequest(
             prefix="a b/c~d+e=f&g", limit=5, next_token="t\u00f6k\u00e9n"))),
        ("acs-v2-delete-sts", "acs-v2", "8f14e45fceea167a5a36dedd4bea2543",
         lambda c: c["o21_v2_sts"].delete_service("o21_v2svc")),
    ]


def generate():
    """The vectors, as a list of dicts (what the fixture holds)."""
    vectors = []
    with _Pinned() as pinned:
        clients = {
            "fc3": Fc3Client(_config()),
            "fc3_sts": Fc3Client(_config(sts=True)),
            "o21": Open21Client(_config()),
            "o21_v2": Open21Client(_config(v2=True)),
            "o21_v2_sts": Open21Client(_config(v2=True, sts=True)),
            "generic": OpenApiClient(_config()),
        }
        for name, algorithm, nonce, call in _cases():
            sent = pinned.capture(nonce, lambda: call(clients))
            auth = next(v for k, v in sent["headers"] if k.lower() == "authorization")
            prefix = "ACS3-HMAC-SHA256 " if algorithm == "ACS3-HMAC-SHA256" else f"acs {KEY_ID}:"
            assert auth.startswith(prefix), f"{name}: unexpected authorization {auth!r}"
            vectors.append({
                "name": name,
                "algorithm": algorithm,
                "keyId": KEY_ID,
                "secret": SECRET,
                "now": NOW,
                **sent,
            })
    return vectors


def render(vectors):
    return json.dumps(vectors, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    text = render(generate())
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2], encoding="utf-8") as f:
            fixture = f.read()
        if json.loads(fixture) != json.loads(text):
            sys.stderr.write(f"{argv[2]} differs from what the installed SDK signs now:\n{text}")
            return 1
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: acs3_vectors.py [--check FILE]\n")
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
