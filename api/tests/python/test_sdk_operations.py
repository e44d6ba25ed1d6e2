"""Every operation of the FC OpenAPI SDKs (`alibabacloud_fc_open20210406`, API 2021-04-06, and
`alibabacloud_fc20230330`, API 2023-03-30) against a real `wasm-fc run`: each route is checked
against the SDK's own list of operations, so a route that regresses, or an operation a newer
SDK adds, shows up here by name.

The operations are read at test time from the installed SDK's source: every
`Params(action=..., version=..., pathname=f'...', method=..., body_type=...)` block of its
`Client`. Each one is sent through the SDK's generic `call_api` (the same signer and transport
as the typed methods), with dummy names (`opcheck-missing`) in the path and an empty JSON body
for POST and PUT. An operation then is either

- served: a 2xx, or a 4xx FC error naming a code (`FunctionNotFound`, `InvalidArgument`, ...),
  i.e. the route exists and answered about the resource; or
- not implemented: 501 `NotImplemented`, whose message names the operation (docs/fc3.md).

Anything else (400 `PathNotSupported`, a 404 without a code, 405, 401/403, a 5xx other than
501, a body the SDK cannot read) is a failure listing the request and the response. The set of
501 operations must equal the expected sets below, taken from docs/fc3.md. wasm-fc answers any
unrouted path or method under an API version with that 501 too, so a route that stops matching
what the SDK sends shows up as an unexpected 501 here.

Run by api/tests/fc_sdks.rs, which starts a fresh server and passes:
  WASM_FC_ENDPOINT (http://127.0.0.1:PORT), WASM_FC_KEY_ID, WASM_FC_KEY_SECRET.
Nothing is created: every name is a dummy, so the calls that would change state fail on a
missing resource or an invalid (empty) body.
"""

import importlib
import inspect
import os
import re

import pytest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.core import DaraCore
from darabonba.runtime import RuntimeOptions

ENDPOINT = os.environ.get("WASM_FC_ENDPOINT", "")

SDKS = {
    "2021-04-06": "alibabacloud_fc_open20210406.client",
    "2023-03-30": "alibabacloud_fc20230330.client",
}

# The 2021-04-06 operations wasm-fc answers with 501 NotImplemented (docs/fc3.md, "2021-04-06").
EXPECTED_501_2021 = {
    # custom domains
    "CreateCustomDomain",
    "DeleteCustomDomain",
    "GetCustomDomain",
    "ListCustomDomains",
    "UpdateCustomDomain",
    # provision configs
    "GetProvisionConfig",
    "ListProvisionConfigs",
    "PutProvisionConfig",
    # on-demand configs
    "DeleteFunctionOnDemandConfig",
    "GetFunctionOnDemandConfig",
    "ListOnDemandConfigs",
    "PutFunctionOnDemandConfig",
    # reserved capacities
    "ListReservedCapacities",
    # tags
    "GetResourceTags",
    "ListTaggedResources",
    "TagResource",
    "UntagResource",
    # VPC bindings
    "CreateVpcBinding",
    "DeleteVpcBinding",
    "ListVpcBindings",
    # event sources
    "DeregisterEventSource",
    "ListEventSources",
    "RegisterEventSource",
    # GPU instances
    "ClaimGPUInstance",
    "ReleaseGPUInstance",
    # stateful async invocations
    "GetStatefulAsyncInvocation",
    "ListStatefulAsyncInvocationFunctions",
    "ListStatefulAsyncInvocations",
    "StopStatefulAsyncInvocation",
    # instances
    "ListInstances",
    # layer ACLs
    "PutLayerACL",
}

# The 2023-03-30 operations wasm-fc answers with 501 NotImplemented (docs/fc3.md, "Operations").
EXPECTED_501_2023 = {
    # async tasks: the queue keeps no per-task record after an invocation ends
    "GetAsyncTask",
    "ListAsyncTasks",
    "StopAsyncTask",
    # custom domains
    "CreateCustomDomain",
    "DeleteCustomDomain",
    "GetCustomDomain",
    "ListCustomDomains",
    "UpdateCustomDomain",
    # provision configs
    "DeleteProvisionConfig",
    "GetProvisionConfig",
    "ListProvisionConfigs",
    "PutProvisionConfig",
    # scaling configs
    "DeleteScalingConfig",
    "GetScalingConfig",
    "ListScalingConfigs",
    "PutScalingConfig",
    # sessions
    "CreateSession",
    "DeleteSession",
    "GetSession",
    "ListSessions",
    "PauseSession",
    "ResumeSession",
    "UpdateSession",
    # snapshots
    "CreateSnapshot",
    "DeleteSnapshot",
    "GetSnapshot",
    "ListSnapshots",
    # VPC bindings
    "CreateVpcBinding",
    "DeleteVpcBinding",
    "ListVpcBindings",
    # tags
    "ListTagResources",
    "TagResources",
    "UntagResources",
    # instances
    "ListInstances",
    # layer ACLs
    "PutLayerACL",
    # invocation switch
    "DisableFunctionInvocation",
    "EnableFunctionInvocation",
    # regions
    "DescribeRegions",
    # resource groups
    "ChangeResourceGroup",
}

EXPECTED_501 = {"2021-04-06": EXPECTED_501_2021, "2023-03-30": EXPECTED_501_2023}

# One `Params(...)` block of a generated client, keyword arguments in the generator's order
# (`open_api_models.Params(` in 2021-04-06's client, `open_api_util_models.Params(` in 2023's).
PARAMS_BLOCK = re.compile(
    r"Params\(\s*"
    r"action\s*=\s*'(?P<action>[^']+)',\s*"
    r"version\s*=\s*'(?P<version>[^']+)',\s*"
    r"protocol\s*=\s*'[^']*',\s*"
    r"pathname\s*=\s*f?'(?P<pathname>[^']*)',\s*"
    r"method\s*=\s*'(?P<method>[^']+)',\s*"
    r"auth_type\s*=\s*'[^']*',\s*"
    r"style\s*=\s*'[^']*',\s*"
    r"req_body_type\s*=\s*'[^']*',\s*"
    r"body_type\s*=\s*'(?P<body_type>[^']*)'\s*\)"
)
# A path parameter: `{DaraURL.percent_encode(function_name)}` (2023-03-30) or
# `{OpenApiUtilClient.get_encode_param(service_name)}` (2021-04-06).
PLACEHOLDER = re.compile(r"\{([^{}]*?)\((\w+)\)\}")

# Dummy values for the path parameters; anything not listed is `opcheck-missing`.
DUMMY = "opcheck-missing"
DUMMIES = {
    "version": "1",
    "version_id": "1",
    "arn": "acs:fc:cn-hangzhou:1234567890123456:layers/opcheck-missing/versions/1",
}


def sdk_operations(version):
    """{action: (pathname template, method, body_type)} of the installed SDK's client."""
    module = importlib.import_module(SDKS[version])
    source = inspect.getsource(module.Client)
    blocks = PARAMS_BLOCK.findall(source)
    # Every `Params(` must have been understood, or an operation would be silently skipped.
    assert len(blocks) == source.count("Params("), (
        f"{SDKS[version]}: {source.count('Params(')} Params( blocks, "
        f"{len(blocks)} matched the pattern: the generated code changed shape"
    )
    operations = {}
    for action, params_version, pathname, method, body_type in blocks:
        assert params_version == version, (action, params_version)
        entry = (pathname, method, body_type)
        # The sync and async methods repeat the same block.
        assert operations.setdefault(action, entry) == entry, (action, operations[action], entry)
    return module, operations


def fill(module, template):
    """The path with each placeholder encoded by the SDK's own helper (`DaraURL`, `OpenApiUtilClient`)."""

    def one(match):
        helper, name = match.group(1), match.group(2)
        return str(eval(f"{helper}(value)", dict(vars(module)), {"value": DUMMIES.get(name, DUMMY)}))

    path = PLACEHOLDER.sub(one, template)
    assert "{" not in path and "}" not in path, (template, path)
    return path


class Recorder:
    """Keeps the last HTTP exchange of `DaraCore.do_action`, so an error the SDK cannot parse
    (a non-JSON 404 or 405) still shows its status and body."""

    def __init__(self):
        self.request = None
        self.response = None
        self._original = None

    def __enter__(self):
        original = DaraCore.do_action
        self._original = original

        def do_action(request, runtime_option=None):
            self.request, self.response = request, None
            self.response = original(request, runtime_option)
            return self.response

        DaraCore.do_action = staticmethod(do_action)
        return self

    def __exit__(self, *exc):
        DaraCore.do_action = staticmethod(self._original)


def make_client(module):
    config = Config(
        access_key_id=os.environ["WASM_FC_KEY_ID"],
        access_key_secret=os.environ["WASM_FC_KEY_SECRET"],
        endpoint=ENDPOINT.split("://", 1)[-1].rstrip("/"),
        protocol="http",
        region_id="cn-hangzhou",
        read_timeout=30000,
        connect_timeout=10000,
    )
    return module.Client(config)


def call(client, module, version, action, template, method, sdk_body_type):
    """Calls one operation; returns an outcome dict (status, code, message, problem...)."""
    pathname = fill(module, template)
    # Errors are read as JSON whatever the body type; a success is read the SDK's way, except
    # that a streamed `binary` body (InvokeFunction) is read whole.
    body_type = {"none": "none", "json": "json"}.get(sdk_body_type, "byte")
    params = Params(
        action=action,
        version=version,
        protocol="HTTP",
        pathname=pathname,
        method=method,
        auth_type="AK",
        style="ROA",
        req_body_type="json",
        body_type=body_type,
    )
    request = OpenApiRequest(body={} if method in ("POST", "PUT") else None)
    outcome = {"action": action, "request": f"{method} {pathname}"}
    with Recorder() as recorded:
        try:
            result = client.call_api(params, request, RuntimeOptions(autoretry=False))
            outcome.update(status=result.get("statusCode"), code=None, message=None)
        except AlibabaCloudException as e:
            server_message = (e.data or {}).get("Message") if isinstance(e.data, dict) else None
            outcome.update(status=e.status_code, code=e.code, message=server_message or e.message)
        except Exception as e:  # the SDK could not read the response
            outcome.update(status=None, code=None, message=None, error=f"{type(e).__name__}: {e}")
    response = recorded.response
    if response is not None:
        outcome["status"] = response.status_code
        body = response.body if isinstance(response.body, bytes) else b""
        outcome["body"] = body[:300].decode("utf-8", "replace")
    if outcome["code"] in ("None", ""):
        outcome["code"] = None
    outcome["problem"] = problem(outcome)
    return outcome


def problem(o):
    """Why an outcome is neither served nor a proper 501, or None."""
    status, code = o["status"], o["code"]
    if "error" in o:
        return f"the SDK could not read the response: {o['error']}"
    if status is None:
        return "no response"
    if 200 <= status < 300:
        return None
    if status == 501:
        if code != "NotImplemented":
            return f"501 with code {code!r}, not NotImplemented"
        if o["action"] not in (o["message"] or ""):
            return f"501 whose message does not name {o['action']}"
        return None
    if status == 405:
        return "405: the route does not take this method"
    if status == 400 and code == "PathNotSupported":
        return "400 PathNotSupported: no route"
    if status == 404 and not code:
        return "404 without an FC error code: no route"
    if status in (401, 403):
        return f"{status} {code}: the signature was refused"
    if 400 <= status < 500:
        return None if code else f"{status} without an FC error code"
    return f"unexpected status {status}"


def describe(o):
    text = (
        f"{o['action']}: {o['request']} -> {o['status']} {o.get('code')} "
        f"{o.get('message')!r} body={o.get('body')!r}"
    )
    return f"{text} ({o['problem']})" if o["problem"] else text


@pytest.fixture(scope="module", params=sorted(SDKS))
def outcomes(request):
    if not ENDPOINT:
        pytest.fail("WASM_FC_ENDPOINT is not set: run through api/tests/fc_sdks.rs")
    version = request.param
    module, operations = sdk_operations(version)
    client = make_client(module)
    results = {
        action: call(client, module, version, action, *entry)
        for action, entry in sorted(operations.items())
    }
    served = sorted(a for a, o in results.items() if o["status"] != 501 and not o["problem"])
    not_implemented = sorted(a for a, o in results.items() if o["status"] == 501)
    print(
        f"\n{SDKS[version]} ({version}): {len(results)} operations, "
        f"{len(served)} served, {len(not_implemented)} 501"
    )
    for action in sorted(results):
        o = results[action]
        print(f"  {action:40} {o['request']:110} {o['status']} {o['code']}")
    return version, results


def test_the_sdks_have_operations(outcomes):
    version, results = outcomes
    # Both SDKs have dozens of operations; a handful means the source was not parsed.
    assert len(results) > 40, (version, sorted(results))
    assert {"InvokeFunction", "GetFunction", "CreateTrigger"} <= set(results), version


def test_every_operation_is_served_or_a_proper_501(outcomes):
    version, results = outcomes
    bad = [describe(o) for o in results.values() if o["problem"]]
    assert not bad, f"{version}: {len(bad)} operations misanswered:\n" + "\n".join(bad)


def test_the_501_operations_are_the_documented_ones(outcomes):
    version, results = outcomes
    got = {a for a, o in results.items() if o["status"] == 501}
    expected = EXPECTED_501[version]
    unexpected_501 = sorted(got - expected)
    now_served = sorted((expected & set(results)) - got)
    not_in_sdk = sorted(expected - set(results))
    lines = []
    if unexpected_501:
        lines.append("501 but documented as served (or new in the SDK):")
        lines += ["  " + describe(results[a]) for a in unexpected_501]
    if now_served:
        lines.append("documented as 501 but answered otherwise (update docs/fc3.md and this test):")
        lines += ["  " + describe(results[a]) for a in now_served]
    if not_in_sdk:
        lines.append(f"expected 501 but not an operation of the SDK: {not_in_sdk}")
    assert not lines, f"{version}:\n" + "\n".join(lines)
