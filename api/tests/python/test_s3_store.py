"""The embedded object store (wasm-fc's local OSS) with real S3 clients:
boto3 and the AWS CLI, both unmodified from PyPI. Run by api/tests/oss.rs
against a real `wasm-fc run` with `--oss-max-object-size 12582912`.
"""
import json
import os
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["S3_ENDPOINT"]
KEY_ID = os.environ["S3_KEY_ID"]
SECRET = os.environ["S3_SECRET"]
LIMIT = int(os.environ["S3_MAX_OBJECT_SIZE"])


def make_client(secret=SECRET):
    return boto3.client(
        "s3", endpoint_url=ENDPOINT, aws_access_key_id=KEY_ID,
        aws_secret_access_key=secret, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      retries={"max_attempts": 1}),
    )


@pytest.fixture
def s3():
    return make_client()


@pytest.fixture
def bucket(s3):
    name = "b-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_buckets_list_create_and_delete(s3):
    name = "b-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert code(e) == "BucketAlreadyOwnedByYou"
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert code(e) == "NoSuchBucket" and status(e) == 404


def test_objects_put_get_range_head_metadata_and_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/a.txt", Body=b"0123456789",
                  ContentType="text/plain", Metadata={"owner": "ann"})
    got = s3.get_object(Bucket=bucket, Key="dir/a.txt")
    assert got["Body"].read() == b"0123456789"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "ann"}
    part = s3.get_object(Bucket=bucket, Key="dir/a.txt", Range="bytes=2-4")
    assert part["Body"].read() == b"234"
    assert part["ContentRange"] == "bytes 2-4/10"
    head = s3.head_object(Bucket=bucket, Key="dir/a.txt")
    assert head["ContentLength"] == 10 and head["Metadata"] == {"owner": "ann"}
    s3.delete_object(Bucket=bucket, Key="dir/a.txt")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="dir/a.txt")
    assert code(e) == "NoSuchKey" and status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="dir/a.txt")
    assert status(e) == 404


def test_list_objects_v2_with_prefix_delimiter_and_pages(s3, bucket):
    for key in ["a/1", "a/2", "a/b/3", "c"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert sorted(o["Key"] for o in listed["Contents"]) == ["a/1", "a/2", "a/b/3"]
    shallow = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in shallow["Contents"]] == ["c"]
    assert [p["Prefix"] for p in shallow["CommonPrefixes"]] == ["a/"]
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert sorted(keys) == ["a/1", "a/2", "a/b/3", "c"]


def test_copy_and_delete_objects(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copied", Metadata={"k": "v"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copied"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "missing"})
    assert code(e) == "NoSuchKey"
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["dst", "src"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_multipart_upload_complete_and_abort(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    parts = []
    # S3's rule: every part but the last is at least 5 MiB.
    for n, body in [(1, b"a" * 5 * 1024 * 1024), (2, b"b" * 10)]:
        r = s3.upload_part(Bucket=bucket, Key="big", PartNumber=n, UploadId=upload["UploadId"], Body=body)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    # Not visible before completion.
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="big")
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == 5 * 1024 * 1024 + 10
    assert s3.get_object(Bucket=bucket, Key="big", Range="bytes=5242879-5242880")["Body"].read() == b"ab"
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")
    s3.upload_part(Bucket=bucket, Key="gone", PartNumber=1, UploadId=aborted["UploadId"], Body=b"z")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted["UploadId"])
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="gone")


def test_errors_are_s3_xml_with_the_right_codes(s3, bucket):
    with pytest.raises(ClientError) as e:
        make_client(secret="wrong").list_buckets()
    assert code(e) == "SignatureDoesNotMatch" and status(e) == 403
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert code(e) == "BucketNotEmpty" and status(e) == 409
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="huge", Body=b"x" * (LIMIT + 1))
    assert code(e) == "EntityTooLarge" and status(e) == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="huge")  # nothing half-written is visible
    # A multipart upload whose parts fit but whose whole does not.
    upload = s3.create_multipart_upload(Bucket=bucket, Key="whole")
    parts = []
    for n in (1, 2):
        r = s3.upload_part(Bucket=bucket, Key="whole", PartNumber=n, UploadId=upload["UploadId"],
                           Body=b"w" * (LIMIT // 2 + 1))
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="whole", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": parts})
    assert code(e) == "EntityTooLarge"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="whole")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x")
    assert code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId="nope", MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": "x"}]})
    assert status(e) in (400, 404)


def test_unsigned_and_malformed_requests_get_xml_errors():
    import urllib.request
    import urllib.error
    for method, path, body in [("GET", "/", None), ("PUT", "/b-x/k", b"x"), ("GET", "/%ZZ", None)]:
        req = urllib.request.Request(ENDPOINT + path, data=body, method=method)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert 400 <= e.value.code < 500
        assert b"<Error>" in e.value.read()


def test_presigned_urls_work(s3, bucket):
    import urllib.request
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=300)
    urllib.request.urlopen(urllib.request.Request(url, data=b"presigned", method="PUT"), timeout=10)
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=300)
    assert urllib.request.urlopen(get, timeout=10).read() == b"presigned"


def aws(*args, check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run([os.environ["AWS_CLI"], "--endpoint-url", ENDPOINT, *args],
                          capture_output=True, text=True, env=env, check=check, timeout=120)


def test_the_aws_cli_copies_lists_and_removes(tmp_path):
    name = "cli-" + uuid.uuid4().hex[:10]
    aws("s3", "mb", f"s3://{name}")
    src = tmp_path / "hello.txt"
    src.write_text("from the aws cli")
    aws("s3", "cp", str(src), f"s3://{name}/in/hello.txt")
    listed = aws("s3", "ls", f"s3://{name}/in/").stdout
    assert "hello.txt" in listed
    out = tmp_path / "back.txt"
    aws("s3", "cp", f"s3://{name}/in/hello.txt", str(out))
    assert out.read_text() == "from the aws cli"
    head = json.loads(aws("s3api", "head-object", "--bucket", name, "--key", "in/hello.txt").stdout)
    assert head["ContentLength"] == len("from the aws cli")
    failed = aws("s3api", "get-object", "--bucket", name, "--key", "missing", str(tmp_path / "m"), check=False)
    assert failed.returncode != 0 and "NoSuchKey" in failed.stderr
    failed = aws("s3", "rb", f"s3://{name}", check=False)
    assert failed.returncode != 0 and "BucketNotEmpty" in failed.stderr
    aws("s3", "rm", f"s3://{name}/in/hello.txt")
    aws("s3", "rb", f"s3://{name}")
