"""The checked-in signature vectors are what the installed SDK signs.

api/tests/fixtures/acs3_vectors.json is made by acs3_vectors.py with the FC OpenAPI SDKs
(`alibabacloud_tea_openapi`'s own signer). This suite fails when the pinned SDK starts signing
differently, so the Rust verifier's fixture never drifts from the real clients. It also checks
the vectors with a small verifier that, like wasm-fc, sees only the wire (the raw path and query
of the request line, the headers, the body): the reference for what the server has to compute.

Run by api/tests/fc_sdks.rs (no server needed).
"""

import base64
import hashlib
import hmac
import json
import os
from urllib.parse import quote, unquote_plus

import acs3_vectors

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "acs3_vectors.json")


def load_fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def test_the_sdk_signs_exactly_the_checked_in_vectors():
    made = acs3_vectors.generate()
    fixture = load_fixture()
    assert [v["name"] for v in made] == [v["name"] for v in fixture]
    for new, old in zip(made, fixture):
        assert new == old, f"vector {old['name']} changed: regenerate with acs3_vectors.py and review"
    # And the file is byte-for-byte what the generator prints.
    with open(FIXTURE, encoding="utf-8") as f:
        assert f.read() == acs3_vectors.render(made)


def test_the_vectors_cover_what_the_brief_asks():
    fixture = load_fixture()
    by_algorithm = {}
    for v in fixture:
        by_algorithm.setdefault(v["algorithm"], []).append(v)
    assert len(by_algorithm["acs-v2"]) >= 3
    acs3 = by_algorithm["ACS3-HMAC-SHA256"]
    assert {v["method"] for v in acs3} >= {"GET", "POST", "PUT", "DELETE"}
    assert any(v["query"] == "" and v["method"] == "GET" for v in acs3)
    assert any("%24" in v["path"] for v in acs3)
    assert any(header(v, "x-acs-security-token") for v in acs3)
    assert any(header(v, "x-acs-security-token") for v in by_algorithm["acs-v2"])
    special = next(v for v in acs3 if v["name"] == "acs3-get-query-special-chars")
    decoded = dict(parse_query(special["query"]))
    assert decoded["prefix"] == "a b/c~d+e=f&g" and decoded["nextToken"] == "tök/én 世界"
    for v in fixture:
        assert v["now"] == "2026-12-01T10:00:00Z" and v["keyId"] == acs3_vectors.KEY_ID


# ---- a verifier that sees only the wire ----------------------------------------------------


def header(vector, name):
    values = [v for k, v in vector["headers"] if k.lower() == name]
    return ",".join(values) if values else None


def parse_query(raw):
    """The query as the server decodes it: `+` is a space (the SDK's HTTP layer is urlencode)."""
    pairs = []
    for part in raw.split("&") if raw else []:
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def acs3_signature(vector):
    auth = header(vector, "authorization")
    scheme, _, rest = auth.partition(" ")
    assert scheme == "ACS3-HMAC-SHA256"
    fields = dict(item.split("=", 1) for item in rest.split(","))
    signed = fields["SignedHeaders"].split(";")
    canonical_query = "&".join(
        f"{k}={quote(v, safe='~')}" for k, v in sorted(parse_query(vector["query"]))
    )
    canonical_headers = ""
    for name in signed:
        values = sorted(v.strip() for k, v in vector["headers"] if k.lower() == name)
        assert values, f"signed header {name} was not sent"
        canonical_headers += f"{name}:{','.join(values)}\n"
    body_hash = hashlib.sha256(vector["body"].encode("utf-8")).hexdigest()
    assert header(vector, "x-acs-content-sha256") == body_hash
    canonical = "\n".join([
        vector["method"], vector["path"] or "/", canonical_query, canonical_headers,
        ";".join(signed), body_hash,
    ])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    expected = hmac.new(vector["secret"].encode(), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return fields["Credential"], expected, fields["Signature"]


def acs_v2_signature(vector):
    auth = header(vector, "authorization")
    assert auth.startswith("acs ")
    key_id, _, sent = auth[4:].rpartition(":")
    lines = [vector["method"]] + [header(vector, h) or "" for h in ["accept", "content-md5", "content-type", "date"]]
    acs_headers = sorted((k.lower(), v) for k, v in vector["headers"] if k.lower().startswith("x-acs-"))
    resource = vector["path"]
    query = sorted(parse_query(vector["query"]))
    if query:
        resource += "?" + "&".join(f"{k}={v}" if v != "" else k for k, v in query)
    to_sign = "\n".join(lines) + "\n" + "".join(f"{k}:{v}\n" for k, v in acs_headers) + resource
    expected = base64.b64encode(
        hmac.new(vector["secret"].encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    ).decode()
    return key_id, expected, sent


def verify(vector):
    if vector["algorithm"] == "ACS3-HMAC-SHA256":
        key_id, expected, sent = acs3_signature(vector)
        assert header(vector, "x-acs-date") == vector["now"]
    else:
        key_id, expected, sent = acs_v2_signature(vector)
        assert header(vector, "date") == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert key_id == vector["keyId"]
    return hmac.compare_digest(expected, sent)


def test_a_verifier_that_sees_only_the_wire_accepts_every_vector():
    for vector in load_fixture():
        assert verify(vector), vector["name"]


def test_the_wire_verifier_rejects_tampering():
    for vector in load_fixture():
        wrong_secret = dict(vector, secret=vector["secret"] + "x")
        assert not verify(wrong_secret), vector["name"]
        other_path = dict(vector, path=vector["path"] + "x")
        assert not verify(other_path), vector["name"]
        if vector["query"]:
            other_query = dict(vector, query=vector["query"].replace("=", "=x", 1))
            assert not verify(other_query), vector["name"]
