"""The FC OpenAPI SDK for API 2021-04-06 (`alibabacloud_fc_open20210406`, PyPI) against a real
`wasm-fc run`: ACS3-HMAC-SHA256 signatures (and the older `acs AK:signature` form), the
2021-04-06 paths, the Tea SDKs' error shape, `triggerConfig` as a JSON string.

Run by api/tests/fc_sdks.rs, which starts the server and passes:
  WASM_FC_ENDPOINT (http://127.0.0.1:PORT), WASM_FC_KEY_ID, WASM_FC_KEY_SECRET,
  GUEST_EVENT_HELLO, GUEST_HTTP_HELLO (paths of built guest .wasm files).
Everything this suite makes is named `o21_...` and deleted at the end.
"""

import base64
import io
import json
import zipfile

import pytest
from alibabacloud_fc_open20210406 import models
from alibabacloud_fc_open20210406.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_util.models import RuntimeOptions
from tea_sdk import ENDPOINT, config, crc64_xz, http_get, zip_bytes

PREFIX = "o21_"


def make_client(secret=None, **extra):
    return Client(config(secret, **extra))






def code(guest_env="GUEST_EVENT_HELLO"):
    return models.Code(zip_file=base64.b64encode(zip_bytes(guest_env)).decode())






def drain_layers(client):
    layers = client.list_layers(models.ListLayersRequest(prefix=PREFIX, limit=100)).body.layers or []
    for layer in layers:
        versions = client.list_layer_versions(layer.layer_name, models.ListLayerVersionsRequest(limit=100)).body.layers or []
        for v in versions:
            client.delete_layer_version(layer.layer_name, str(v.version))


def drain_services(client):
    """Deletes every `o21_` service with what is under it (triggers, aliases, versions, functions)."""
    services = client.list_services(models.ListServicesRequest(prefix=PREFIX, limit=100)).body.services or []
    for service in services:
        name = service.service_name
        functions = client.list_functions(name, models.ListFunctionsRequest(limit=100)).body.functions or []
        for function in functions:
            triggers = client.list_triggers(name, function.function_name, models.ListTriggersRequest(limit=100)).body.triggers or []
            for trigger in triggers:
                client.delete_trigger(name, function.function_name, trigger.trigger_name)
        for alias in client.list_aliases(name, models.ListAliasesRequest(limit=100)).body.aliases or []:
            client.delete_alias(name, alias.alias_name)
        for version in client.list_service_versions(name, models.ListServiceVersionsRequest(limit=100)).body.versions or []:
            client.delete_service_version(name, version.version_id)
        for function in functions:
            client.delete_function(name, function.function_name)
        client.delete_service(name)


@pytest.fixture(scope="module")
def client():
    c = make_client()
    yield c
    # Clean up everything the suite made, through the SDK; then nothing `o21_` is left.
    drain_services(c)
    drain_layers(c)
    assert not c.list_services(models.ListServicesRequest(prefix=PREFIX)).body.services
    assert not c.list_layers(models.ListLayersRequest(prefix=PREFIX)).body.layers


def new_function(client, service, function, guest_env="GUEST_EVENT_HELLO", **fields):
    request = models.CreateFunctionRequest(
        function_name=function, runtime="custom", handler="index.handler", code=code(guest_env), **fields
    )
    return client.create_function(service, request).body


def invoke(client, service, function, payload=b"", qualifier=None, **headers):
    return client.invoke_function_with_options(
        service, function,
        models.InvokeFunctionRequest(body=payload, qualifier=qualifier),
        models.InvokeFunctionHeaders(**headers),
        RuntimeOptions(),
    )


def test_services_and_functions_crud_with_paging(client):
    for name in ["o21_page_a", "o21_page_b", "o21_page_c"]:
        r = client.create_service(models.CreateServiceRequest(service_name=name, description="by the 2021 sdk"))
        assert r.status_code == 200
        assert r.body.service_name == name and r.body.service_id
    got = client.get_service("o21_page_a", models.GetServiceRequest()).body
    assert got.description == "by the 2021 sdk" and got.created_time and got.last_modified_time

    page = client.list_services(models.ListServicesRequest(prefix="o21_page_", limit=2)).body
    assert [s.service_name for s in page.services] == ["o21_page_a", "o21_page_b"]
    assert page.next_token
    rest = client.list_services(models.ListServicesRequest(prefix="o21_page_", limit=2, next_token=page.next_token)).body
    assert [s.service_name for s in rest.services] == ["o21_page_c"]
    assert not rest.next_token

    updated = client.update_service("o21_page_a", models.UpdateServiceRequest(description="changed")).body
    assert updated.description == "changed"
    assert updated.created_time == got.created_time

    created = new_function(client, "o21_page_a", "hello", environment_variables={"GREETING": "hola"}, memory_size=256, timeout=10)
    assert created.function_name == "hello" and created.memory_size == 256
    assert int(created.code_checksum) == crc64_xz(zip_bytes("GUEST_EVENT_HELLO"))
    for name in ["hello2", "hello3"]:
        new_function(client, "o21_page_a", name)
    page = client.list_functions("o21_page_a", models.ListFunctionsRequest(limit=2)).body
    assert [f.function_name for f in page.functions] == ["hello", "hello2"]
    rest = client.list_functions("o21_page_a", models.ListFunctionsRequest(limit=2, next_token=page.next_token)).body
    assert [f.function_name for f in rest.functions] == ["hello3"] and not rest.next_token

    fn = client.get_function("o21_page_a", "hello", models.GetFunctionRequest()).body
    assert fn.environment_variables == {"GREETING": "hola"} and fn.runtime == "custom"
    updated = client.update_function("o21_page_a", "hello", models.UpdateFunctionRequest(
        environment_variables={"GREETING": "hey"})).body
    assert updated.environment_variables == {"GREETING": "hey"}
    assert updated.memory_size == 256  # kept: not sent

    client.delete_function("o21_page_a", "hello3")
    with pytest.raises(ClientException) as e:
        client.get_function("o21_page_a", "hello3", models.GetFunctionRequest())
    assert e.value.code == "FunctionNotFound"
    for name in ["o21_page_b", "o21_page_c"]:
        client.delete_service(name)


def test_invoke_sync_async_tail_and_qualifier(client):
    client.create_service(models.CreateServiceRequest(service_name="o21_inv"))
    new_function(client, "o21_inv", "hello", environment_variables={"GREETING": "v1"})

    r = invoke(client, "o21_inv", "hello", b'{"name":"sdk21"}')
    assert r.status_code == 200
    result = json.loads(r.body)
    assert result["greeting"] == "v1, sdk21"
    assert result["service"] == "o21_inv" and result["function"] == "hello"
    assert result["requestId"] == r.headers["x-fc-request-id"]

    r = invoke(client, "o21_inv", "hello", b'{"name":"tail"}', x_fc_log_type="Tail")
    log = base64.b64decode(r.headers["x-fc-log-result"]).decode()
    assert "FC Invoke Start RequestId" in log and "greeting tail" in log

    r = invoke(client, "o21_inv", "hello", b'{"name":"async"}', x_fc_invocation_type="Async")
    assert r.status_code == 202
    assert r.headers["x-fc-request-id"]

    # Versions and aliases decide what `qualifier` runs.
    v1 = client.publish_service_version("o21_inv", models.PublishServiceVersionRequest(description="first")).body
    assert v1.version_id == "1" and v1.description == "first"
    client.update_function("o21_inv", "hello", models.UpdateFunctionRequest(environment_variables={"GREETING": "v2"}))
    assert client.publish_service_version("o21_inv", models.PublishServiceVersionRequest()).body.version_id == "2"
    say = lambda q: json.loads(invoke(client, "o21_inv", "hello", b'{"name":"q"}', qualifier=q).body)
    assert say("1")["greeting"] == "v1, q"
    assert say("2")["greeting"] == "v2, q"
    assert say("LATEST")["greeting"] == "v2, q"
    with pytest.raises(ClientException) as e:
        invoke(client, "o21_inv", "hello", b"{}", qualifier="9")
    assert e.value.code == "VersionNotFound"


def test_versions_and_aliases(client):
    client.create_service(models.CreateServiceRequest(service_name="o21_ver"))
    new_function(client, "o21_ver", "hello", environment_variables={"GREETING": "one"})
    client.publish_service_version("o21_ver", models.PublishServiceVersionRequest(description="a"))
    client.update_function("o21_ver", "hello", models.UpdateFunctionRequest(environment_variables={"GREETING": "two"}))
    client.publish_service_version("o21_ver", models.PublishServiceVersionRequest(description="b"))
    versions = client.list_service_versions("o21_ver", models.ListServiceVersionsRequest()).body.versions
    assert [v.version_id for v in versions] == ["2", "1"]
    page = client.list_service_versions("o21_ver", models.ListServiceVersionsRequest(limit=1)).body
    assert [v.version_id for v in page.versions] == ["2"] and page.next_token

    alias = client.create_alias("o21_ver", models.CreateAliasRequest(alias_name="prod", version_id="1", description="stable")).body
    assert alias.alias_name == "prod" and alias.version_id == "1"
    assert client.get_alias("o21_ver", "prod").body.description == "stable"
    say = lambda q: json.loads(invoke(client, "o21_ver", "hello", b'{"name":"a"}', qualifier=q).body)
    assert say("prod")["greeting"] == "one, a" and say("prod")["qualifier"] == "prod"
    updated = client.update_alias("o21_ver", "prod", models.UpdateAliasRequest(version_id="2")).body
    assert updated.version_id == "2"
    assert say("prod")["greeting"] == "two, a"
    client.create_alias("o21_ver", models.CreateAliasRequest(alias_name="test", version_id="2"))
    assert [a.alias_name for a in client.list_aliases("o21_ver", models.ListAliasesRequest()).body.aliases] == ["prod", "test"]
    client.delete_alias("o21_ver", "test")
    with pytest.raises(ClientException) as e:
        client.get_alias("o21_ver", "test")
    assert e.value.code == "AliasNotFound"

    client.delete_service_version("o21_ver", "1")
    assert [v.version_id for v in client.list_service_versions("o21_ver", models.ListServiceVersionsRequest()).body.versions] == ["2"]


def test_timer_and_http_triggers_with_string_config(client):
    client.create_service(models.CreateServiceRequest(service_name="o21_trg"))
    new_function(client, "o21_trg", "tick")
    new_function(client, "o21_trg", "web", guest_env="GUEST_HTTP_HELLO")

    timer = {"payload": "p", "cronExpression": "@every 1m", "enable": True}
    t = client.create_trigger("o21_trg", "tick", models.CreateTriggerRequest(
        trigger_name="timer", trigger_type="timer", trigger_config=json.dumps(timer))).body
    assert isinstance(t.trigger_config, str), t.trigger_config
    assert json.loads(t.trigger_config) == timer
    assert t.trigger_id and t.trigger_type == "timer"
    got = client.get_trigger("o21_trg", "tick", "timer").body
    assert isinstance(got.trigger_config, str) and json.loads(got.trigger_config)["cronExpression"] == "@every 1m"
    changed = dict(timer, enable=False, cronExpression="@every 2m")
    u = client.update_trigger("o21_trg", "tick", "timer", models.UpdateTriggerRequest(trigger_config=json.dumps(changed))).body
    assert isinstance(u.trigger_config, str) and json.loads(u.trigger_config)["enable"] is False
    listed = client.list_triggers("o21_trg", "tick", models.ListTriggersRequest()).body.triggers
    assert [x.trigger_name for x in listed] == ["timer"]
    assert all(isinstance(x.trigger_config, str) for x in listed)

    http = {"authType": "anonymous", "methods": ["GET", "POST"]}
    h = client.create_trigger("o21_trg", "web", models.CreateTriggerRequest(
        trigger_name="web", trigger_type="http", trigger_config=json.dumps(http))).body
    assert json.loads(h.trigger_config) == http
    status, body = http_get(f"{ENDPOINT}/2016-08-15/proxy/o21_trg/web/hi?x=1")
    assert status == 200, body
    assert b"method=GET" in body and b"path=/hi" in body
    client.update_trigger("o21_trg", "web", "web", models.UpdateTriggerRequest(
        trigger_config=json.dumps({"authType": "anonymous", "methods": ["POST"]})))
    assert http_get(f"{ENDPOINT}/2016-08-15/proxy/o21_trg/web/hi")[0] == 405

    client.delete_trigger("o21_trg", "tick", "timer")
    client.delete_trigger("o21_trg", "web", "web")
    with pytest.raises(ClientException) as e:
        client.get_trigger("o21_trg", "tick", "timer")
    assert e.value.code == "TriggerNotFound"


def test_async_invoke_config(client):
    client.create_service(models.CreateServiceRequest(service_name="o21_acfg"))
    new_function(client, "o21_acfg", "hello")
    put = client.put_function_async_invoke_config("o21_acfg", "hello", models.PutFunctionAsyncInvokeConfigRequest(
        max_async_event_age_in_seconds=300, max_async_retry_attempts=1)).body
    assert put.max_async_event_age_in_seconds == 300 and put.max_async_retry_attempts == 1
    got = client.get_function_async_invoke_config("o21_acfg", "hello", models.GetFunctionAsyncInvokeConfigRequest()).body
    assert got.max_async_retry_attempts == 1 and got.service == "o21_acfg" and got.function == "hello"
    client.delete_function_async_invoke_config("o21_acfg", "hello", models.DeleteFunctionAsyncInvokeConfigRequest())
    with pytest.raises(ClientException) as e:
        client.get_function_async_invoke_config("o21_acfg", "hello", models.GetFunctionAsyncInvokeConfigRequest())
    assert e.value.status_code == 404 and e.value.code not in ("None", "", None)


def test_layers(client):
    layer_zip = base64.b64encode(zip_bytes("GUEST_EVENT_HELLO")).decode()
    v1 = client.create_layer_version("o21_layer", models.CreateLayerVersionRequest(
        code=models.Code(zip_file=layer_zip), compatible_runtime=["custom"], description="first")).body
    assert v1.version == 1 and v1.layer_name == "o21_layer" and v1.arn
    v2 = client.create_layer_version("o21_layer", models.CreateLayerVersionRequest(
        code=models.Code(zip_file=layer_zip), compatible_runtime=["custom"], description="second")).body
    assert v2.version == 2
    names = [l.layer_name for l in client.list_layers(models.ListLayersRequest(prefix=PREFIX)).body.layers]
    assert names == ["o21_layer"]
    versions = client.list_layer_versions("o21_layer", models.ListLayerVersionsRequest()).body.layers
    assert sorted(v.version for v in versions) == [1, 2]
    got = client.get_layer_version("o21_layer", "1").body
    assert got.description == "first" and got.compatible_runtime == ["custom"]
    assert int(got.code_checksum) == crc64_xz(zip_bytes("GUEST_EVENT_HELLO"))
    client.delete_layer_version("o21_layer", "1")
    with pytest.raises(ClientException) as e:
        client.get_layer_version("o21_layer", "1")
    assert e.value.status_code == 404


def test_get_function_code_downloads_the_zip(client):
    client.create_service(models.CreateServiceRequest(service_name="o21_code"))
    created = new_function(client, "o21_code", "hello")
    got = client.get_function_code("o21_code", "hello", models.GetFunctionCodeRequest()).body
    assert got.checksum == created.code_checksum
    status, data = http_get(got.url)
    assert status == 200 and data[:2] == b"PK"
    assert str(crc64_xz(data)) == created.code_checksum
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "index.wasm" in z.namelist()


def test_errors_carry_the_real_code_and_message(client):
    with pytest.raises(ClientException) as e:
        client.get_service("o21_missing", models.GetServiceRequest())
    assert e.value.status_code == 404 and e.value.code == "ServiceNotFound"
    assert "None" not in e.value.message and "o21_missing" in e.value.message
    assert e.value.data.get("ErrorCode") == "ServiceNotFound"  # FC's own keys stay

    client.create_service(models.CreateServiceRequest(service_name="o21_err"))
    with pytest.raises(ClientException) as e:
        client.get_function("o21_err", "nope", models.GetFunctionRequest())
    assert e.value.code == "FunctionNotFound" and "None" not in e.value.message and "nope" in e.value.message
    with pytest.raises(ClientException) as e:
        client.create_service(models.CreateServiceRequest(service_name="o21_err"))
    assert e.value.status_code == 409 and e.value.code == "ServiceAlreadyExists"
    with pytest.raises(ClientException) as e:
        client.create_service(models.CreateServiceRequest(service_name="bad.name"))
    assert e.value.status_code == 400 and e.value.code == "InvalidArgument"

    with pytest.raises(ClientException) as e:
        make_client(secret="wrong-secret").list_services(models.ListServicesRequest())
    assert e.value.status_code == 403
    assert e.value.code == "SignatureNotMatch" and "None" not in e.value.message


@pytest.mark.parametrize("operation,call", [pytest.param(*case, id=case[0]) for case in [
    ("ListCustomDomains", lambda c: c.list_custom_domains(models.ListCustomDomainsRequest())),
    ("GetProvisionConfig", lambda c: c.get_provision_config("o21_err", "fn", models.GetProvisionConfigRequest())),
]])
def test_an_operation_wasm_fc_does_not_serve_is_a_501_naming_it(client, operation, call):
    with pytest.raises(ServerException) as e:
        call(client)
    assert e.value.status_code == 501
    assert e.value.code not in ("None", "", None)
    assert operation in e.value.message


def test_the_v2_roa_signature_works(client):
    v2 = make_client(signature_algorithm="v2")
    r = v2.create_service(models.CreateServiceRequest(service_name="o21_v2", description="signed with acs AK:sig"))
    assert r.body.service_name == "o21_v2"
    assert v2.get_service("o21_v2", models.GetServiceRequest()).body.description == "signed with acs AK:sig"
    page = v2.list_services(models.ListServicesRequest(prefix="o21_v2", limit=5)).body
    assert [s.service_name for s in page.services] == ["o21_v2"]
    v2.delete_service("o21_v2")
    with pytest.raises(ClientException) as e:
        v2.get_service("o21_v2", models.GetServiceRequest())
    assert e.value.code == "ServiceNotFound"
    with pytest.raises(ClientException) as e:
        make_client(secret="wrong-secret", signature_algorithm="v2").get_service("o21_v2", models.GetServiceRequest())
    assert e.value.status_code == 403 and e.value.code == "SignatureNotMatch"
