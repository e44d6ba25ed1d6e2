"""Seeds a fresh wasm-fc with resources schemathesis can reach (.ci/schemathesis).

Randomly generated names almost never name an existing resource, so most
operations would only ever answer 404. This creates one of each kind under
fixed names (see FIXTURES in schemathesis_hooks.py) through the API itself,
signed like every other request.
"""

import base64
import io
import json
import sys
import zipfile

import requests

from schemathesis_hooks import FcSignature

# A WASI p1 command that does nothing: one empty function exported as `_start`.
EMPTY_COMMAND = bytes.fromhex(
    "0061736d01000000"  # magic, version 1
    "010401600000"  # type section: () -> ()
    "03020100"  # function section: one function of type 0
    "070a01065f737461727400" "00"  # export section: "_start" = function 0
    "0a040102000b"  # code section: no locals, end
)


def zip_base64(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return base64.b64encode(buffer.getvalue()).decode()


def main(endpoint):
    session = requests.Session()
    session.auth = FcSignature()

    def call(method, path, body=None):
        response = session.request(
            method,
            endpoint + "/2016-08-15" + path,
            data=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json"} if body is not None else {},
        )
        print(f"seed: {method} {path} -> {response.status_code}")
        if response.status_code >= 300:
            sys.exit(f"seeding failed: {response.text}")
        return response

    code = {"zipFile": zip_base64({"index.wasm": EMPTY_COMMAND})}
    call("POST", "/services", {"serviceName": "svc"})
    call("POST", "/services/svc/functions", {
        "functionName": "fn", "runtime": "custom", "handler": "index.handler", "code": code,
    })
    call("POST", "/services/svc/functions/fn/triggers", {
        "triggerName": "tick", "triggerType": "timer",
        "triggerConfig": {"cronExpression": "@every 60m", "enable": False, "payload": ""},
    })
    call("POST", "/services/svc/versions", {"description": "v1"})
    call("POST", "/services/svc/aliases", {"aliasName": "prod", "versionId": "1"})
    call("PUT", "/services/svc/functions/fn/async-invoke-config", {"maxAsyncRetryAttempts": 1})
    call("POST", "/layers/lib/versions", {"code": {"zipFile": zip_base64({"lib/a.txt": b"a"})}})


if __name__ == "__main__":
    main(sys.argv[1])
