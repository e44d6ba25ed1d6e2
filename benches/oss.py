#!/usr/bin/env python3
"""The embedded object store and OSS triggers (issue 18), measured in one run against a
real `wasm-fc run` on 127.0.0.1. Run it through `benches/oss`, which builds the binary
and the guests and provides boto3 (the tests' venv).

1. Upload rate: N objects of SIZE bytes, PUT one after another with boto3 against the
   embedded store (a bucket no trigger listens to), and the same N writes as plain local
   file copies (shutil.copyfile of one source file into a directory: the baseline).
   Reported as objects/s and as a ratio to the baseline.
2. Delivery lag: an OSS trigger on a second bucket invokes the oss-handler guest. Uploads
   (1-byte objects) go at a fixed rate (1/s and 200/s) for a few seconds each; lag = the
   handler's start (it logs its wall clock in µs: `start_us`) minus the moment the client
   sent the PUT. The platform queues the event before it answers the PUT, so the handler
   often starts before the client has its answer: the lag is measured from the send, and
   includes the upload itself. As the baseline, async InvokeFunction at the same rate,
   from sending the POST to the handler's start. p50 and p99 of each, and OSS / async
   ratios. (The platform's own `wasm_fc_event_source_delivery_lag_seconds` measures from
   the store's completion, in ms.)

Exit 1: an upload failed or an event never arrived. Exit 2: set-up failed.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
from soak import KEY_ID, P, SECRET, SetupError, api, must, pct  # noqa: E402

import boto3  # noqa: E402  (from the venv benches/oss runs this with)
from botocore.config import Config  # noqa: E402

SERVICE = "ossbench"


def s3_client(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      retries={"max_attempts": 1}, max_pool_connections=4))


def upload_rate(s3, tmp, count, size):
    body = os.urandom(size)
    s3.create_bucket(Bucket="plain")
    start = time.perf_counter()
    for i in range(count):
        s3.put_object(Bucket="plain", Key=f"o/{i:06}", Body=body)
    s3_rate = count / (time.perf_counter() - start)
    src = os.path.join(tmp, "source.bin")
    with open(src, "wb") as f:
        f.write(body)
    dst = os.path.join(tmp, "copies")
    os.makedirs(dst)
    start = time.perf_counter()
    for i in range(count):
        shutil.copyfile(src, os.path.join(dst, f"{i:06}"))
    copy_rate = count / (time.perf_counter() - start)
    return s3_rate, copy_rate


def function_starts(port, function, since_ms):
    """request key (from the event) -> invocation start, Unix seconds."""
    starts = {}
    path = f"/_wasm-fc/logs/{SERVICE}/{function}"
    # FC signs the path without its query.
    status, body = soak.request(port, "GET", f"{path}?since={since_ms}&limit=1000",
                                headers=soak.signed_headers("GET", path))
    if status != 200:
        raise SetupError(f"logs: HTTP {status}")
    for record in json.loads(body)["records"]:
        start = None
        for line in record["log"].splitlines():
            if "start_us " in line:
                start = int(line.split("start_us ", 1)[1].split()[0]) / 1e6
            if "event " not in line or start is None:
                continue
            try:
                event = json.loads(line.split("event ", 1)[1])
            except ValueError:
                continue
            key = (event.get("events") or [{}])[0].get("oss", {}).get("object", {}).get("key") \
                or event.get("mark")
            if key:
                starts.setdefault(key, start)
    return starts


def paced(rate, seconds, send):
    """Calls send(i) `rate` times a second for `seconds`; returns {mark: sent_at}."""
    answered = {}
    interval = 1.0 / rate
    begin = time.perf_counter()
    wall0 = time.time() - begin
    total = max(1, int(rate * seconds))
    for i in range(total):
        due = begin + i * interval
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        sent_at = wall0 + time.perf_counter()
        mark = send(i)
        answered[mark] = sent_at
    return answered


def lags(port, function, answered, since_ms, timeout):
    deadline = time.time() + timeout
    while True:
        starts = function_starts(port, function, since_ms)
        if all(m in starts for m in answered) or time.time() > deadline:
            break
        time.sleep(0.2)
    missing = [m for m in answered if m not in starts]
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(answered)} never ran on {function}: {missing[:5]}")
    return sorted(max(0.0, starts[m] - answered[m]) for m in answered)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--guests", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--seconds", type=float, default=5.0, help="per lag scenario")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.smoke:
        args.objects, args.seconds = 50, 1.0
    port, oss_port = soak.free_port(), soak.free_port()
    server = soak.Server(args.bin, port, os.path.join(args.tmp, "data"), os.path.join(args.tmp, "server.log"))
    server.oss_listen = f"127.0.0.1:{oss_port}"
    results = {}
    try:
        server.start(60)
        s3 = s3_client(f"http://127.0.0.1:{oss_port}")
        s3_rate, copy_rate = upload_rate(s3, args.tmp, args.objects, args.size)
        results["upload"] = {"boto3_per_s": s3_rate, "file_copy_per_s": copy_rate,
                             "ratio": s3_rate / copy_rate}
        zip_b64 = soak.zip_b64(os.path.join(args.guests, "oss_handler.wasm"))
        must(api(port, "POST", f"{P}/services", {"serviceName": SERVICE}), "CreateService")
        for name in ("onupload", "direct"):
            must(api(port, "POST", f"{P}/services/{SERVICE}/functions", {
                "functionName": name, "runtime": "custom", "handler": "index.handler",
                "code": {"zipFile": zip_b64}}), f"CreateFunction {name}")
        must(api(port, "POST", f"{P}/services/{SERVICE}/functions/onupload/triggers", {
            "triggerName": "t", "triggerType": "oss",
            "sourceArn": "acs:oss:local:1:events",
            "triggerConfig": {"events": ["oss:ObjectCreated:*"]}}), "CreateTrigger")
        s3.create_bucket(Bucket="events")
        # Warm both functions (the first invocation instantiates).
        s3.put_object(Bucket="events", Key="warm", Body=b"w")
        api(port, "POST", f"{P}/services/{SERVICE}/functions/direct/invocations", {"mark": "warm"})
        time.sleep(1)
        for rate in (1, 200):
            seconds = args.seconds if rate > 1 else max(args.seconds, 3)
            since = int(time.time() * 1000)
            run = uuid.uuid4().hex[:6]
            oss = paced(rate, seconds, lambda i: (s3.put_object(Bucket="events", Key=f"{run}-{i}", Body=b"x"), f"{run}-{i}")[1])
            oss_lags = lags(port, "onupload", oss, since, 60)

            def send(i):
                mark = f"{run}-direct-{i}"
                status, _ = api(port, "POST", f"{P}/services/{SERVICE}/functions/direct/invocations",
                                {"mark": mark}, {"x-fc-invocation-type": "Async"})
                if status != 202:
                    raise RuntimeError(f"async invoke answered {status}")
                return mark
            since = int(time.time() * 1000)
            direct = paced(rate, seconds, send)
            direct_lags = lags(port, "direct", direct, since, 60)
            results[f"lag_{rate}_per_s"] = {
                "events": len(oss_lags),
                "oss_p50_ms": pct(oss_lags, 0.5) * 1e3, "oss_p99_ms": pct(oss_lags, 0.99) * 1e3,
                "async_p50_ms": pct(direct_lags, 0.5) * 1e3, "async_p99_ms": pct(direct_lags, 0.99) * 1e3,
            }
    except SetupError as e:
        print(f"set-up failed: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"failed: {e}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    up = results["upload"]
    print()
    print(f"| measure | wasm-fc | baseline | ratio |")
    print(f"|---|---|---|---|")
    print(f"| {args.size} B objects/s, boto3 PUT vs local file copy | {up['boto3_per_s']:.0f} | {up['file_copy_per_s']:.0f} | {up['ratio']:.3f} |")
    for rate in (1, 200):
        r = results[f"lag_{rate}_per_s"]
        for q in ("p50", "p99"):
            ratio = r[f"oss_{q}_ms"] / r[f"async_{q}_ms"] if r[f"async_{q}_ms"] > 0 else float("nan")
            print(f"| delivery lag {q} at {rate}/s ({r['events']} events), OSS event vs async invoke | "
                  f"{r[f'oss_{q}_ms']:.2f} ms | {r[f'async_{q}_ms']:.2f} ms | {ratio:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
