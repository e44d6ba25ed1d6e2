"""The official Python SDK (aliyun-fc2) against a real `wasm-fc run`.

Run by api/tests/python_sdk.rs, which starts the server, builds the guests and
passes everything in the environment:
  WASM_FC_ENDPOINT, WASM_FC_KEY_ID, WASM_FC_KEY_SECRET,
  GUEST_EVENT_HELLO, GUEST_HTTP_HELLO, GUEST_HOSTILE (paths of built .wasm files), NAS_DIR.
"""

import base64
import json
import os
import time
import zipfile

import fc2
import pytest
from fc2.fc_exceptions import FcError


@pytest.fixture(scope="module")
def client():
    return fc2.Client(
        endpoint=os.environ["WASM_FC_ENDPOINT"],
        accessKeyID=os.environ["WASM_FC_KEY_ID"],
        accessKeySecret=os.environ["WASM_FC_KEY_SECRET"],
    )


def code_zip(tmp_path, guest_env, name="index.wasm"):
    path = tmp_path / f"{guest_env}.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(os.environ[guest_env], name)
    return str(path)


def error_code(excinfo):
    return excinfo.value.err_code


def test_service_crud_and_paging(client):
    for name in ["py_abc", "py_abd", "py_bcd", "py_bde", "py_zzz"]:
        r = client.create_service(name, description="made by the python sdk")
        assert r.data["serviceName"] == name
        assert r.headers["etag"]
    got = client.get_service("py_abc")
    assert got.data["description"] == "made by the python sdk"
    assert got.data["internetAccess"] is True
    for key in ["createdTime", "lastModifiedTime", "logConfig", "role", "serviceId"]:
        assert key in got.data

    page = client.list_services(prefix="py_", startKey="py_b", limit=2)
    assert [s["serviceName"] for s in page.data["services"]] == ["py_bcd", "py_bde"]
    rest = client.list_services(prefix="py_", nextToken=page.data["nextToken"], limit=2)
    assert [s["serviceName"] for s in rest.data["services"]] == ["py_zzz"]
    assert "nextToken" not in rest.data

    updated = client.update_service("py_abc", description="changed")
    assert updated.data["description"] == "changed"
    assert updated.data["createdTime"] == got.data["createdTime"]
    with pytest.raises(FcError) as e:
        client.update_service("py_abc", description="x", headers={"if-match": "invalid etag"})
    assert e.value.status_code == 412

    with pytest.raises(FcError) as e:
        client.create_service("py_abc")
    assert error_code(e) == "ServiceAlreadyExists"
    with pytest.raises(FcError) as e:
        client.get_service("py_missing")
    assert error_code(e) == "ServiceNotFound"
    with pytest.raises(FcError) as e:
        client.create_service("bad.name")
    assert error_code(e) == "InvalidArgument"

    for name in ["py_abc", "py_abd", "py_bcd", "py_bde", "py_zzz"]:
        client.delete_service(name)
    with pytest.raises(FcError):
        client.get_service("py_abc")


def test_function_crud_invoke_and_errors(client, tmp_path):
    client.create_service("py_fn")
    zip_path = code_zip(tmp_path, "GUEST_EVENT_HELLO")
    created = client.create_function(
        "py_fn", "hello", "custom", "index.handler", codeZipFile=zip_path,
        environmentVariables={"GREETING": "hola"}, memorySize=256, timeout=10,
    )
    assert created.data["functionName"] == "hello"
    assert created.data["memorySize"] == 256
    assert int(created.data["codeChecksum"]) > 0
    assert created.data["initializationTimeout"] == 30  # what the SDK sends by default

    client.create_function("py_fn", "hostile", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_HOSTILE"), timeout=1)
    names = [f["functionName"] for f in client.list_functions("py_fn", limit=1).data["functions"]]
    assert names == ["hello"]
    assert client.get_function("py_fn", "hello").data["environmentVariables"] == {"GREETING": "hola"}

    # Sync, with log tail.
    r = client.invoke_function("py_fn", "hello", payload=json.dumps({"name": "sdk"}), headers={"x-fc-log-type": "Tail"})
    result = json.loads(r.data)
    assert result["greeting"] == "hola, sdk"
    assert result["requestId"] == r.headers["x-fc-request-id"]
    log = base64.b64decode(r.headers["x-fc-log-result"]).decode()
    assert "FC Invoke Start RequestId" in log and "greeting sdk" in log

    # Function errors raise, with FC's body.
    with pytest.raises(FcError) as e:
        client.invoke_function("py_fn", "hello", payload="not json")
    body = json.loads(e.value.message)
    assert body["errorType"] == "InvalidEvent"
    with pytest.raises(FcError) as e:
        client.invoke_function("py_fn", "hostile", payload="loop")
    assert "timed out" in json.loads(e.value.message)["errorMessage"]
    with pytest.raises(FcError) as e:
        client.invoke_function("py_fn", "missing")
    assert error_code(e) == "FunctionNotFound"

    # Async is accepted at once.
    r = client.invoke_function("py_fn", "hello", payload="{}", headers={"x-fc-invocation-type": "Async"})
    assert r.headers["x-fc-request-id"]

    # Partial update keeps what was not sent; GetFunctionCode gives a working URL.
    updated = client.update_function("py_fn", "hello", environmentVariables={"GREETING": "hey"})
    assert updated.data["memorySize"] == 256
    r = client.invoke_function("py_fn", "hello", payload=json.dumps({"name": "b"}))
    assert json.loads(r.data)["greeting"] == "hey, b"
    code = client.get_function_code("py_fn", "hello")
    assert code.data["checksum"] == created.data["codeChecksum"]
    import requests
    assert requests.get(code.data["url"], timeout=10).content[:2] == b"PK"

    with pytest.raises(FcError) as e:
        client.create_function("py_fn", "bad", "python2.7", "index.handler", codeZipFile=zip_path)
    assert error_code(e) == "InvalidArgument"
    with pytest.raises(FcError) as e:
        client.create_function("py_fn", "hello", "custom", "index.handler", codeZipFile=zip_path)
    assert error_code(e) == "FunctionAlreadyExists"


def test_versions_and_aliases(client, tmp_path):
    client.create_service("py_ver")
    client.create_function("py_ver", "hello", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_EVENT_HELLO"),
                           environmentVariables={"GREETING": "v1"})
    v1 = client.publish_version("py_ver", description="first")
    assert v1.data["versionId"] == "1"
    client.update_function("py_ver", "hello", environmentVariables={"GREETING": "v2"})
    v2 = client.publish_version("py_ver")
    assert v2.data["versionId"] == "2"
    versions = client.list_versions("py_ver")
    assert [v["versionId"] for v in versions.data["versions"]] == ["2", "1"]

    alias = client.create_alias("py_ver", "prod", "1", description="stable", additionalVersionWeight={"2": 0.0})
    assert alias.data["aliasName"] == "prod"
    assert client.get_alias("py_ver", "prod").data["versionId"] == "1"
    say = lambda q: json.loads(client.invoke_function("py_ver", "hello", payload='{"name":"x"}', qualifier=q).data)
    assert say("1")["greeting"] == "v1, x"
    assert say("2")["greeting"] == "v2, x"
    assert say("prod")["greeting"] == "v1, x" and say("prod")["qualifier"] == "prod"
    client.update_alias("py_ver", "prod", "2")
    assert say("prod")["greeting"] == "v2, x"
    assert [a["aliasName"] for a in client.list_aliases("py_ver").data["aliases"]] == ["prod"]
    assert client.get_function("py_ver", "hello", qualifier="1").data["environmentVariables"]["GREETING"] == "v1"

    client.delete_alias("py_ver", "prod")
    client.delete_version("py_ver", "1")
    with pytest.raises(FcError) as e:
        client.invoke_function("py_ver", "hello", qualifier="1")
    assert error_code(e) == "VersionNotFound"


def test_triggers_crud_and_exclusivity(client, tmp_path):
    client.create_service("py_trg")
    client.create_function("py_trg", "fn", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_EVENT_HELLO"))
    timer_config = {"payload": "p", "cronExpression": "@every 1m", "enable": True}
    t = client.create_trigger("py_trg", "fn", "tick", "timer", timer_config, None, None)
    assert t.data["triggerConfig"] == timer_config
    assert t.data["triggerId"]
    assert client.get_trigger("py_trg", "fn", "tick").data["triggerType"] == "timer"
    updated = client.update_trigger("py_trg", "fn", "tick", triggerConfig={"payload": "q", "cronExpression": "@every 2m", "enable": False})
    assert updated.data["triggerConfig"]["enable"] is False
    with pytest.raises(FcError) as e:
        client.create_trigger("py_trg", "fn", "web", "http", {"authType": "anonymous", "methods": ["GET"]}, "dummy_arn", "")
    assert e.value.status_code == 400
    assert [x["triggerName"] for x in client.list_triggers("py_trg", "fn").data["triggers"]] == ["tick"]
    client.delete_trigger("py_trg", "fn", "tick")
    with pytest.raises(FcError) as e:
        client.get_trigger("py_trg", "fn", "tick")
    assert error_code(e) == "TriggerNotFound"
    h = client.create_trigger("py_trg", "fn", "web", "http", {"authType": "anonymous", "methods": ["GET"]}, "dummy_arn", "")
    assert h.data["sourceArn"] is None


def test_http_trigger_crud_and_signed_proxy_requests(client, tmp_path):
    client.create_service("py_http")
    client.create_function("py_http", "web", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_HTTP_HELLO"))
    config = {"authType": "function", "methods": ["GET", "POST"]}
    t = client.create_trigger("py_http", "web", "web", "http", config, "dummy_arn", "")
    assert t.data["triggerConfig"] == config
    assert client.get_trigger("py_http", "web", "web").data["triggerType"] == "http"
    # The SDK signs proxy requests in FC's proxy mode (decoded path, sorted query).
    r = client.do_http_request("POST", "py_http", "web", "/hello world", params={"b": "2", "a": "1"}, body=b"from python")
    assert r.status_code == 200, r.text
    assert "method=POST" in r.text and "path=/hello world" in r.text and "body=from python" in r.text
    assert r.headers["x-fc-request-id"]
    unsigned = requests_get(os.environ["WASM_FC_ENDPOINT"] + "/2016-08-15/proxy/py_http/web/")
    assert unsigned.status_code == 403
    r = client.do_http_request("PUT", "py_http", "web", "/")
    assert r.status_code == 405
    updated = client.update_trigger("py_http", "web", "web", triggerConfig={"authType": "anonymous", "methods": ["PUT"]})
    assert updated.data["triggerConfig"]["methods"] == ["PUT"]
    assert client.do_http_request("PUT", "py_http", "web", "/").status_code == 200
    client.delete_trigger("py_http", "web", "web")
    assert client.do_http_request("PUT", "py_http", "web", "/").status_code == 404


def test_timer_trigger_fires_through_the_sdk(client, tmp_path):
    nas = os.environ["NAS_DIR"]
    client.create_service("py_timer", nasConfig={"userId": -1, "groupId": -1, "mountPoints": [{"serverAddr": "local:" + nas, "mountDir": "/mnt/nas"}]})
    client.create_function("py_timer", "sink", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_HOSTILE"), environmentVariables={"HOSTILE_SINK": "/mnt/nas/"})
    with pytest.raises(FcError) as e:
        client.create_trigger("py_timer", "sink", "bad", "timer", {"cronExpression": "0 0 25 * * *", "enable": True, "payload": ""}, None, None)
    assert e.value.status_code == 400 and "Hours" in str(e.value)
    client.create_trigger("py_timer", "sink", "tick", "timer", {"cronExpression": "* * * * * *", "enable": True, "payload": "from-sdk"}, None, None)
    log = os.path.join(nas, "events.jsonl")
    deadline = time.time() + 15
    while time.time() < deadline and not (os.path.exists(log) and "from-sdk" in open(log).read()):
        time.sleep(0.05)
    event = json.loads(open(log).read().splitlines()[0])
    assert event["triggerName"] == "tick" and event["payload"] == "from-sdk"
    client.delete_trigger("py_timer", "sink", "tick")


def requests_get(url):
    import requests

    return requests.get(url, timeout=30)


def test_async_invocations_run(client, tmp_path):
    nas = os.environ["NAS_DIR"]
    client.create_service("py_async", nasConfig={"userId": -1, "groupId": -1, "mountPoints": [{"serverAddr": "local:" + nas, "mountDir": "/mnt/nas"}]})
    client.create_function("py_async", "hostile", "custom", "index.handler", codeZipFile=code_zip(tmp_path, "GUEST_HOSTILE"))
    client.invoke_function("py_async", "hostile", payload="write:/mnt/nas/from-python.txt", headers={"x-fc-invocation-type": "Async"})
    deadline = time.time() + 30
    target = os.path.join(nas, "from-python.txt")
    # The guest creates the file, then writes it: wait for the content, not the name.
    while time.time() < deadline and not (os.path.exists(target) and open(target).read() == "pwned"):
        time.sleep(0.05)
    assert open(target).read() == "pwned"


def test_bad_credentials_are_refused():
    bad = fc2.Client(endpoint=os.environ["WASM_FC_ENDPOINT"], accessKeyID=os.environ["WASM_FC_KEY_ID"], accessKeySecret="wrong")
    with pytest.raises(FcError) as e:
        bad.list_services()
    assert error_code(e) == "SignatureNotMatch"
