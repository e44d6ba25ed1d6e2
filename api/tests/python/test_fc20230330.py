"""The FC 3.0 SDK (`alibabacloud_fc20230330`, API 2023-03-30, PyPI) against a real `wasm-fc run`,
and the same functions through every generation of client: the 2021-04-06 SDK and `aliyun-fc2`.

The model wasm-fc serves: FC 3.0 functions are top level (`/2023-03-30/functions`); a function
made through FC 2.0 as (service S, function F) is the FC 3.0 function `S$F`; an FC 3.0
function `foo` is FC 2.0's service `foo` holding function `foo`.

Run by api/tests/fc_sdks.rs, which starts the server and passes:
  WASM_FC_ENDPOINT (http://127.0.0.1:PORT), WASM_FC_KEY_ID, WASM_FC_KEY_SECRET,
  GUEST_EVENT_HELLO, GUEST_HTTP_HELLO (paths of built guest .wasm files).
Everything this suite makes is named `f3_...` and deleted at the end.
"""

import base64
import io
import json
import os
import tempfile
import time

import fc2
import pytest
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client
from alibabacloud_fc_open20210406 import models as models21
from alibabacloud_fc_open20210406.client import Client as Client21
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from darabonba.runtime import RuntimeOptions
from tea_sdk import ENDPOINT, config, crc64_xz, http_get, zip_bytes

PREFIX = "f3_"






def code(guest_env="GUEST_EVENT_HELLO"):
    return models.InputCodeLocation(zip_file=base64.b64encode(zip_bytes(guest_env)).decode())






def cleanup(client, client21):
    """Deletes every `f3_` thing through the SDKs: FC 3.0 functions with their triggers,
    aliases and versions, then what is left of FC 2.0 services, then layers."""
    functions = client.list_functions(models.ListFunctionsRequest(prefix=PREFIX, limit=100)).body.functions or []
    for function in functions:
        name = function.function_name
        for trigger in client.list_triggers(name, models.ListTriggersRequest(limit=100)).body.triggers or []:
            client.delete_trigger(name, trigger.trigger_name)
        for alias in client.list_aliases(name, models.ListAliasesRequest(limit=100)).body.aliases or []:
            client.delete_alias(name, alias.alias_name)
        for version in client.list_function_versions(name, models.ListFunctionVersionsRequest(limit=100)).body.versions or []:
            client.delete_function_version(name, version.version_id)
        client.delete_function(name)
    services = client21.list_services(models21.ListServicesRequest(prefix=PREFIX, limit=100)).body.services or []
    for service in services:
        for function in client21.list_functions(service.service_name, models21.ListFunctionsRequest(limit=100)).body.functions or []:
            client21.delete_function(service.service_name, function.function_name)
        client21.delete_service(service.service_name)
    for layer in client.list_layers(models.ListLayersRequest(prefix=PREFIX, limit=100)).body.layers or []:
        for v in client.list_layer_versions(layer.layer_name, models.ListLayerVersionsRequest(limit=100)).body.layers or []:
            client.delete_layer_version(layer.layer_name, str(v.version))


@pytest.fixture(scope="module")
def client21():
    return Client21(config())


@pytest.fixture(scope="module")
def client(client21):
    c = Client(config())
    yield c
    cleanup(c, client21)
    assert not c.list_functions(models.ListFunctionsRequest(prefix=PREFIX)).body.functions
    assert not client21.list_services(models21.ListServicesRequest(prefix=PREFIX)).body.services
    assert not c.list_layers(models.ListLayersRequest(prefix=PREFIX)).body.layers


@pytest.fixture(scope="module")
def fc2_client():
    return fc2.Client(
        endpoint=ENDPOINT,
        accessKeyID=os.environ["WASM_FC_KEY_ID"],
        accessKeySecret=os.environ["WASM_FC_KEY_SECRET"],
    )


def new_function(client, name, guest_env="GUEST_EVENT_HELLO", **fields):
    return client.create_function(models.CreateFunctionRequest(body=models.CreateFunctionInput(
        function_name=name, runtime="custom", handler="index.handler", code=code(guest_env), **fields,
    ))).body


def invoke(client, name, payload=b"", qualifier=None, **headers):
    return client.invoke_function_with_options(
        name,
        models.InvokeFunctionRequest(body=io.BytesIO(payload), qualifier=qualifier),
        models.InvokeFunctionHeaders(**headers),
        RuntimeOptions(),
    )


def result(response):
    return json.loads(response.body.read())


def test_functions_crud_with_paging(client, client21):
    created = new_function(client, "f3_page_a", description="by the 3.0 sdk", memory_size=256, timeout=10,
                           environment_variables={"GREETING": "hola"})
    assert created.function_name == "f3_page_a"
    assert created.function_arn and created.function_arn.endswith(":functions/f3_page_a")
    assert created.function_id and created.created_time and created.last_modified_time
    assert created.memory_size == 256 and created.timeout == 10 and created.runtime == "custom"
    assert int(created.code_checksum) == crc64_xz(zip_bytes("GUEST_EVENT_HELLO"))
    assert created.code_size > 0
    new_function(client, "f3_page_b")
    new_function(client, "f3_page_c")

    got = client.get_function("f3_page_a", models.GetFunctionRequest()).body
    assert got.description == "by the 3.0 sdk" and got.environment_variables == {"GREETING": "hola"}
    defaults = client.get_function("f3_page_b", models.GetFunctionRequest()).body
    assert defaults.memory_size and defaults.timeout  # FC 3.0's defaults are filled in

    page = client.list_functions(models.ListFunctionsRequest(prefix="f3_page_", limit=2)).body
    assert [f.function_name for f in page.functions] == ["f3_page_a", "f3_page_b"]
    assert page.next_token
    rest = client.list_functions(models.ListFunctionsRequest(prefix="f3_page_", limit=2, next_token=page.next_token)).body
    assert [f.function_name for f in rest.functions] == ["f3_page_c"] and not rest.next_token

    updated = client.update_function("f3_page_a", models.UpdateFunctionRequest(body=models.UpdateFunctionInput(
        environment_variables={"GREETING": "hey"}, description="changed"))).body
    assert updated.description == "changed" and updated.environment_variables == {"GREETING": "hey"}
    assert updated.memory_size == 256  # kept: not sent
    assert updated.created_time == created.created_time
    assert result(invoke(client, "f3_page_a", b'{"name":"up"}'))["greeting"] == "hey, up"

    with pytest.raises(ClientException) as e:
        new_function(client, "f3_page_a")
    assert e.value.status_code == 409 and e.value.code == "FunctionAlreadyExists"
    client.delete_function("f3_page_c")
    with pytest.raises(ClientException) as e:
        client.get_function("f3_page_c", models.GetFunctionRequest())
    assert e.value.code == "FunctionNotFound"
    # Its FC 2.0 face (service `f3_page_c`, function `f3_page_c`) went with it.
    with pytest.raises(ClientException) as e:
        client21.get_service("f3_page_c", models21.GetServiceRequest())
    assert e.value.code == "ServiceNotFound"


def test_invoke_sync_async_tail_and_qualifier(client):
    new_function(client, "f3_inv", environment_variables={"GREETING": "v1"})
    r = invoke(client, "f3_inv", b'{"name":"fc3"}')
    assert r.status_code == 200
    body = result(r)
    assert body["greeting"] == "v1, fc3" and body["function"] == "f3_inv"
    assert body["requestId"] == r.headers["x-fc-request-id"]

    r = invoke(client, "f3_inv", b'{"name":"tail"}', x_fc_log_type="Tail")
    log = base64.b64decode(r.headers["x-fc-log-result"]).decode()
    assert "FC Invoke Start RequestId" in log and "greeting tail" in log

    r = invoke(client, "f3_inv", b'{"name":"async"}', x_fc_invocation_type="Async")
    assert r.status_code == 202 and r.headers["x-fc-request-id"]

    v1 = client.publish_function_version("f3_inv", models.PublishFunctionVersionRequest(
        body=models.PublishVersionInput(description="first"))).body
    assert v1.version_id == "1" and v1.description == "first"
    client.update_function("f3_inv", models.UpdateFunctionRequest(body=models.UpdateFunctionInput(
        environment_variables={"GREETING": "v2"})))
    say = lambda q: result(invoke(client, "f3_inv", b'{"name":"q"}', qualifier=q))
    assert say("1")["greeting"] == "v1, q"
    assert say("LATEST")["greeting"] == "v2, q"
    assert say(None)["greeting"] == "v2, q"
    with pytest.raises(ClientException) as e:
        invoke(client, "f3_inv", b"{}", qualifier="7")
    assert e.value.code == "VersionNotFound" and "None" not in e.value.message


def test_versions_and_aliases_are_per_function(client):
    new_function(client, "f3_ver", environment_variables={"GREETING": "one"})
    new_function(client, "f3_ver_other")
    client.publish_function_version("f3_ver", models.PublishFunctionVersionRequest(body=models.PublishVersionInput(description="a")))
    client.update_function("f3_ver", models.UpdateFunctionRequest(body=models.UpdateFunctionInput(environment_variables={"GREETING": "two"})))
    client.publish_function_version("f3_ver", models.PublishFunctionVersionRequest(body=models.PublishVersionInput(description="b")))
    versions = client.list_function_versions("f3_ver", models.ListFunctionVersionsRequest()).body
    assert [v.version_id for v in versions.versions] == ["2", "1"]
    page = client.list_function_versions("f3_ver", models.ListFunctionVersionsRequest(limit=1)).body
    assert [v.version_id for v in page.versions] == ["2"] and page.next_token
    # Another function's versions are its own.
    assert not client.list_function_versions("f3_ver_other", models.ListFunctionVersionsRequest()).body.versions
    assert client.publish_function_version("f3_ver_other", models.PublishFunctionVersionRequest(
        body=models.PublishVersionInput())).body.version_id == "1"

    alias = client.create_alias("f3_ver", models.CreateAliasRequest(body=models.CreateAliasInput(
        alias_name="prod", version_id="1", description="stable"))).body
    assert alias.alias_name == "prod" and alias.version_id == "1"
    assert client.get_alias("f3_ver", "prod").body.description == "stable"
    say = lambda q: result(invoke(client, "f3_ver", b'{"name":"a"}', qualifier=q))
    assert say("prod")["greeting"] == "one, a"
    updated = client.update_alias("f3_ver", "prod", models.UpdateAliasRequest(body=models.UpdateAliasInput(version_id="2"))).body
    assert updated.version_id == "2" and say("prod")["greeting"] == "two, a"
    client.create_alias("f3_ver", models.CreateAliasRequest(body=models.CreateAliasInput(alias_name="test", version_id="1")))
    aliases = client.list_aliases("f3_ver", models.ListAliasesRequest()).body.aliases
    assert [a.alias_name for a in aliases] == ["prod", "test"]
    assert not client.list_aliases("f3_ver_other", models.ListAliasesRequest()).body.aliases
    client.delete_alias("f3_ver", "test")
    with pytest.raises(ClientException) as e:
        client.get_alias("f3_ver", "test")
    assert e.value.code == "AliasNotFound"
    client.delete_function_version("f3_ver", "1")
    assert [v.version_id for v in client.list_function_versions("f3_ver", models.ListFunctionVersionsRequest()).body.versions] == ["2"]


def test_timer_and_http_triggers(client):
    new_function(client, "f3_trg")
    new_function(client, "f3_web", guest_env="GUEST_HTTP_HELLO")
    timer = {"cronExpression": "@every 1m", "enable": True, "payload": "p"}
    t = client.create_trigger("f3_trg", models.CreateTriggerRequest(body=models.CreateTriggerInput(
        trigger_name="timer", trigger_type="timer", trigger_config=json.dumps(timer)))).body
    assert isinstance(t.trigger_config, str) and json.loads(t.trigger_config) == timer
    assert t.trigger_name == "timer" and t.trigger_type == "timer" and t.trigger_id
    got = client.get_trigger("f3_trg", "timer").body
    assert isinstance(got.trigger_config, str) and json.loads(got.trigger_config)["payload"] == "p"
    u = client.update_trigger("f3_trg", "timer", models.UpdateTriggerRequest(body=models.UpdateTriggerInput(
        trigger_config=json.dumps(dict(timer, enable=False))))).body
    assert json.loads(u.trigger_config)["enable"] is False
    assert [x.trigger_name for x in client.list_triggers("f3_trg", models.ListTriggersRequest()).body.triggers] == ["timer"]

    http = {"authType": "anonymous", "methods": ["GET", "POST"]}
    h = client.create_trigger("f3_web", models.CreateTriggerRequest(body=models.CreateTriggerInput(
        trigger_name="web", trigger_type="http", trigger_config=json.dumps(http)))).body
    assert json.loads(h.trigger_config)["authType"] == "anonymous"
    url = h.http_trigger.url_internet
    assert url and url.startswith("http")
    assert client.get_trigger("f3_web", "web").body.http_trigger.url_internet == url
    status, body = http_get(url.rstrip("/") + "/hi?x=1")
    assert status == 200, body
    text = body.decode()
    assert "method=GET" in text and "path=/hi" in text and "query:x=1" in text

    client.delete_trigger("f3_trg", "timer")
    client.delete_trigger("f3_web", "web")
    with pytest.raises(ClientException) as e:
        client.get_trigger("f3_trg", "timer")
    assert e.value.code == "TriggerNotFound"
    assert http_get(url.rstrip("/") + "/hi")[0] == 404


def test_async_invoke_and_concurrency_configs(client):
    new_function(client, "f3_cfg")
    put = client.put_async_invoke_config("f3_cfg", models.PutAsyncInvokeConfigRequest(
        body=models.PutAsyncInvokeConfigInput(max_async_event_age_in_seconds=300, max_async_retry_attempts=1))).body
    assert put.max_async_event_age_in_seconds == 300 and put.max_async_retry_attempts == 1
    got = client.get_async_invoke_config("f3_cfg", models.GetAsyncInvokeConfigRequest()).body
    assert got.max_async_retry_attempts == 1
    assert got.function_arn and got.function_arn.endswith(":functions/f3_cfg")
    client.delete_async_invoke_config("f3_cfg", models.DeleteAsyncInvokeConfigRequest())
    with pytest.raises(ClientException) as e:
        client.get_async_invoke_config("f3_cfg", models.GetAsyncInvokeConfigRequest())
    assert e.value.status_code == 404 and e.value.code not in ("None", "", None)

    c = client.put_concurrency_config("f3_cfg", models.PutConcurrencyConfigRequest(
        body=models.PutConcurrencyInput(reserved_concurrency=5))).body
    assert c.reserved_concurrency == 5 and c.function_arn.endswith(":functions/f3_cfg")
    assert client.get_concurrency_config("f3_cfg").body.reserved_concurrency == 5
    client.delete_concurrency_config("f3_cfg")
    try:
        gone = client.get_concurrency_config("f3_cfg").body.reserved_concurrency
        assert gone in (None, 0)
    except ClientException as e:
        assert e.status_code == 404


def test_layers(client):
    layer_zip = base64.b64encode(zip_bytes("GUEST_EVENT_HELLO")).decode()
    v1 = client.create_layer_version("f3_layer", models.CreateLayerVersionRequest(body=models.CreateLayerVersionInput(
        code=models.InputCodeLocation(zip_file=layer_zip), compatible_runtime=["custom"], description="first"))).body
    assert v1.version == 1 and v1.layer_name == "f3_layer" and v1.layer_version_arn
    client.create_layer_version("f3_layer", models.CreateLayerVersionRequest(body=models.CreateLayerVersionInput(
        code=models.InputCodeLocation(zip_file=layer_zip), compatible_runtime=["custom"], description="second")))
    assert [l.layer_name for l in client.list_layers(models.ListLayersRequest(prefix=PREFIX)).body.layers] == ["f3_layer"]
    versions = client.list_layer_versions("f3_layer", models.ListLayerVersionsRequest()).body.layers
    assert sorted(v.version for v in versions) == [1, 2]
    got = client.get_layer_version("f3_layer", "1").body
    assert got.description == "first" and got.compatible_runtime == ["custom"]
    assert int(got.code_checksum) == crc64_xz(zip_bytes("GUEST_EVENT_HELLO"))
    # A function can use it (by its ARN).
    fn = new_function(client, "f3_layered", layers=[v1.layer_version_arn])
    assert fn.layers and fn.layers[0].arn == v1.layer_version_arn
    client.delete_function("f3_layered")
    client.delete_layer_version("f3_layer", "1")
    with pytest.raises(ClientException) as e:
        client.get_layer_version("f3_layer", "1")
    assert e.value.status_code == 404


def test_get_function_code_downloads_the_zip(client):
    created = new_function(client, "f3_code")
    got = client.get_function_code("f3_code", models.GetFunctionCodeRequest()).body
    assert got.checksum == created.code_checksum
    status, data = http_get(got.url)
    assert status == 200 and data[:2] == b"PK"
    assert str(crc64_xz(data)) == created.code_checksum


def test_errors_carry_the_real_code_and_message(client):
    with pytest.raises(ClientException) as e:
        client.get_function("f3_missing", models.GetFunctionRequest())
    assert e.value.status_code == 404 and e.value.code == "FunctionNotFound"
    assert "None" not in e.value.message and "f3_missing" in e.value.message
    with pytest.raises(ClientException) as e:
        invoke(client, "f3_missing", b"{}")
    assert e.value.code == "FunctionNotFound"
    with pytest.raises(ClientException) as e:
        client.get_function("f3_nosvc$fn", models.GetFunctionRequest())
    assert e.value.status_code == 404 and e.value.code in ("FunctionNotFound", "ServiceNotFound")
    assert "None" not in e.value.message
    with pytest.raises(ClientException) as e:
        Client(config(secret="wrong-secret")).list_functions(models.ListFunctionsRequest())
    assert e.value.status_code == 403 and e.value.code == "SignatureNotMatch"
    assert "None" not in e.value.message


def test_acs3_replays_and_stale_dates_are_refused(client, monkeypatch):
    from alibabacloud_tea_openapi.utils import Utils

    fresh = Client(config())
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: "f3-replayed-nonce-0123456789abcdef"))
    fresh.list_functions(models.ListFunctionsRequest(prefix="f3_nothing"))
    with pytest.raises(ClientException) as e:
        fresh.list_functions(models.ListFunctionsRequest(prefix="f3_nothing"))
    assert e.value.status_code == 403 and e.value.code not in ("None", "InvalidArgument")
    assert "None" not in e.value.message

    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: os.urandom(16).hex()))
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stale))
    with pytest.raises(ClientException) as e:
        fresh.list_functions(models.ListFunctionsRequest(prefix="f3_nothing"))
    assert e.value.status_code == 403 and e.value.code not in ("None", "InvalidArgument")
    assert "None" not in e.value.message


@pytest.mark.parametrize("operation,call", [pytest.param(*case, id=case[0]) for case in [
    ("ListAsyncTasks", lambda c: c.list_async_tasks("f3_inv", models.ListAsyncTasksRequest())),
    ("GetAsyncTask", lambda c: c.get_async_task("f3_inv", "task-1", models.GetAsyncTaskRequest())),
    ("StopAsyncTask", lambda c: c.stop_async_task("f3_inv", "task-1", models.StopAsyncTaskRequest())),
    ("ListCustomDomains", lambda c: c.list_custom_domains(models.ListCustomDomainsRequest())),
]])
def test_operations_wasm_fc_does_not_serve_are_501s_naming_them(client, operation, call):
    with pytest.raises(ServerException) as e:
        call(client)
    assert e.value.status_code == 501
    assert e.value.code not in ("None", "", None)
    assert operation in e.value.message


def test_the_v2_roa_signature_works():
    v2 = Client(config(signature_algorithm="v2"))
    created = v2.create_function(models.CreateFunctionRequest(body=models.CreateFunctionInput(
        function_name="f3_v2", runtime="custom", handler="index.handler", code=code()))).body
    assert created.function_name == "f3_v2"
    assert v2.get_function("f3_v2", models.GetFunctionRequest()).body.runtime == "custom"
    v2.delete_function("f3_v2")
    with pytest.raises(ClientException) as e:
        v2.get_function("f3_v2", models.GetFunctionRequest())
    assert e.value.code == "FunctionNotFound"


# ---- one platform, every generation of client ---------------------------------------------


def test_a_2021_function_is_service_dollar_function_in_fc3(client, client21):
    client21.create_service(models21.CreateServiceRequest(service_name="f3_x21"))
    client21.create_function("f3_x21", models21.CreateFunctionRequest(
        function_name="fn", runtime="custom", handler="index.handler",
        code=models21.Code(zip_file=base64.b64encode(zip_bytes("GUEST_EVENT_HELLO")).decode()),
        environment_variables={"GREETING": "from 2021"}))
    got = client.get_function("f3_x21$fn", models.GetFunctionRequest()).body
    assert got.function_name == "f3_x21$fn"
    assert got.environment_variables == {"GREETING": "from 2021"}
    names = [f.function_name for f in client.list_functions(models.ListFunctionsRequest(prefix="f3_x21")).body.functions]
    assert names == ["f3_x21$fn"]
    r = invoke(client, "f3_x21$fn", b'{"name":"fc3"}')
    assert result(r)["greeting"] == "from 2021, fc3"


def test_an_fc3_function_is_service_and_function_foo_in_fc2(client, client21, fc2_client):
    new_function(client, "f3_native", environment_variables={"GREETING": "from 3.0"})
    service = client21.get_service("f3_native", models21.GetServiceRequest()).body
    assert service.service_name == "f3_native"
    fn = client21.get_function("f3_native", "f3_native", models21.GetFunctionRequest()).body
    assert fn.function_name == "f3_native" and fn.environment_variables == {"GREETING": "from 3.0"}
    r = client21.invoke_function("f3_native", "f3_native", models21.InvokeFunctionRequest(body=b'{"name":"2021"}'))
    assert json.loads(r.body)["greeting"] == "from 3.0, 2021"

    assert fc2_client.get_function("f3_native", "f3_native").data["functionName"] == "f3_native"
    r = fc2_client.invoke_function("f3_native", "f3_native", payload=json.dumps({"name": "fc2"}))
    assert json.loads(r.data)["greeting"] == "from 3.0, fc2"
    # An update through FC 2.0 shows through FC 3.0.
    fc2_client.update_function("f3_native", "f3_native", environmentVariables={"GREETING": "changed by fc2"})
    assert client.get_function("f3_native", models.GetFunctionRequest()).body.environment_variables == {"GREETING": "changed by fc2"}
    assert result(invoke(client, "f3_native", b'{"name":"3"}'))["greeting"] == "changed by fc2, 3"


def test_an_aliyun_fc2_function_is_invoked_through_fc3(client, fc2_client):
    fc2_client.create_service("f3_fc2svc")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "code.zip")
        with open(path, "wb") as f:
            f.write(zip_bytes("GUEST_EVENT_HELLO"))
        fc2_client.create_function("f3_fc2svc", "hello", "custom", "index.handler", codeZipFile=path,
                                   environmentVariables={"GREETING": "from fc2"})
    r = invoke(client, "f3_fc2svc$hello", b'{"name":"fc3"}', x_fc_log_type="Tail")
    assert result(r)["greeting"] == "from fc2, fc3"
    assert "FC Invoke Start RequestId" in base64.b64decode(r.headers["x-fc-log-result"]).decode()
    fc2_client.delete_function("f3_fc2svc", "hello")
    with pytest.raises(ClientException) as e:
        client.get_function("f3_fc2svc$hello", models.GetFunctionRequest())
    assert e.value.code == "FunctionNotFound"
