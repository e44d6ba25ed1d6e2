"""One S3 action with boto3 against the embedded object store, for the Rust
OSS-trigger tests (api/tests/oss.rs). Prints the result as JSON.

Environment: S3_ENDPOINT, S3_KEY_ID, S3_SECRET.
Actions:
  mb BUCKET
  put BUCKET KEY TEXT [CONTENT_TYPE [META_KEY=VALUE ...]]
  put-file BUCKET KEY PATH
  copy BUCKET SRC_KEY DST_KEY
  multipart BUCKET KEY PARTS        (PARTS parts of 5 MiB, the last one 1 KiB)
  rm BUCKET KEY
  rm-many BUCKET KEY...
  presign-put BUCKET KEY
  put-many BUCKET PREFIX COUNT      (COUNT small objects, one PUT each)
"""
import json
import os
import sys

import boto3
from botocore.config import Config


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id=os.environ["S3_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      retries={"max_attempts": 1}),
    )


def main(action, *args):
    s3 = client()
    if action == "mb":
        s3.create_bucket(Bucket=args[0])
        return {"ok": True}
    if action == "put":
        bucket, key, text = args[:3]
        extra = {}
        if len(args) > 3:
            extra["ContentType"] = args[3]
        if len(args) > 4:
            extra["Metadata"] = dict(kv.split("=", 1) for kv in args[4:])
        r = s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), **extra)
        return {"etag": r["ETag"]}
    if action == "put-file":
        bucket, key, path = args
        with open(path, "rb") as f:
            r = s3.put_object(Bucket=bucket, Key=key, Body=f.read())
        return {"etag": r["ETag"]}
    if action == "copy":
        bucket, src, dst = args
        s3.copy_object(Bucket=bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src})
        return {"ok": True}
    if action == "multipart":
        bucket, key, parts = args[0], args[1], int(args[2])
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key)
        done = []
        for n in range(1, parts + 1):
            body = b"x" * (5 * 1024 * 1024 if n < parts else 1024)
            part = s3.upload_part(Bucket=bucket, Key=key, PartNumber=n,
                                  UploadId=upload["UploadId"], Body=body)
            done.append({"PartNumber": n, "ETag": part["ETag"]})
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": done})
        return {"size": 5 * 1024 * 1024 * (parts - 1) + 1024}
    if action == "rm":
        s3.delete_object(Bucket=args[0], Key=args[1])
        return {"ok": True}
    if action == "rm-many":
        r = s3.delete_objects(Bucket=args[0],
                              Delete={"Objects": [{"Key": k} for k in args[1:]]})
        return {"deleted": sorted(d["Key"] for d in r.get("Deleted", []))}
    if action == "presign-put":
        return {"url": s3.generate_presigned_url(
            "put_object", Params={"Bucket": args[0], "Key": args[1]}, ExpiresIn=3600)}
    if action == "put-many":
        bucket, prefix, count = args[0], args[1], int(args[2])
        for i in range(count):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{i:05}.txt", Body=b"n")
        return {"count": count}
    raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
