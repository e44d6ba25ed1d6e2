#!/usr/bin/env python3
"""The FC 3.0 API's cost (issue 21), measured in one run against a real `wasm-fc run`
on 127.0.0.1 with the real SDKs. Run it through `benches/fc3`, which builds the binary
and the guests and provides the SDKs (the tests' venv).

FC 3.0 routes are served by the FC 2.0 handlers through an internal call
(api/src/http/fc3/forward.rs), so each FC 3.0 call pays a second pass through the
router, a body copy and a JSON rewrite. The baseline is the same operation on the same
function through the 2021-04-06 API, which the same Tea SDK signs the same way
(ACS3-HMAC-SHA256) and the server answers directly:

1. GetFunction: `alibabacloud_fc20230330` `get_function("bench$hello")` vs
   `alibabacloud_fc_open20210406` `get_function("bench", "hello")`.
2. Sync InvokeFunction of the event guest, the same two ways.

Calls alternate between the two sides, one at a time, so both see the same machine.
Reported: p50 and p99 of each (client-measured, including the SDK's signing), and the
FC 3.0 / 2021-04-06 ratios.

Exit 2: set-up failed.
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
from soak import KEY_ID, SECRET, SetupError, pct  # noqa: E402

from alibabacloud_fc20230330 import models as m3  # noqa: E402
from alibabacloud_fc20230330.client import Client as Fc3  # noqa: E402
from alibabacloud_fc_open20210406 import models as m21  # noqa: E402
from alibabacloud_fc_open20210406.client import Client as Fc21  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402

EVENT = b'{"name":"bench"}'


def clients(port):
    config = dict(access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=f"127.0.0.1:{port}",
                  protocol="http", region_id="cn-hangzhou")
    return Fc21(Config(**config)), Fc3(Config(**config))


def timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(pairs, count):
    """pairs: name -> (baseline call, fc3 call); alternated, `count` of each."""
    out = {}
    for name, (base, fc3) in pairs.items():
        for _ in range(max(5, count // 20)):  # warm up: compile, caches, connections
            base()
            fc3()
        samples = {"2021-04-06": [], "2023-03-30": []}
        for _ in range(count):
            samples["2021-04-06"].append(timed(base))
            samples["2023-03-30"].append(timed(fc3))
        out[name] = {k: sorted(v) for k, v in samples.items()}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--guests", required=True, help="dir with event_hello.wasm")
    parser.add_argument("--count", type=int, default=2000, help="calls per side per operation")
    parser.add_argument("--smoke", action="store_true", help="a few calls, no claims")
    args = parser.parse_args()
    count = 20 if args.smoke else args.count
    with tempfile.TemporaryDirectory() as tmp:
        port = soak.free_port()
        server = soak.Server(args.bin, port, os.path.join(tmp, "data"), os.path.join(tmp, "server.log"))
        try:
            server.start(60)
            c21, c3 = clients(port)
            c21.create_service(m21.CreateServiceRequest(service_name="bench"))
            code = m21.Code(zip_file=soak.zip_b64(os.path.join(args.guests, "event_hello.wasm")))
            c21.create_function("bench", m21.CreateFunctionRequest(
                function_name="hello", runtime="custom", handler="index.handler", code=code))
            pairs = {
                "GetFunction": (
                    lambda: c21.get_function("bench", "hello", m21.GetFunctionRequest()),
                    lambda: c3.get_function("bench$hello", m3.GetFunctionRequest()),
                ),
                "InvokeFunction (sync)": (
                    lambda: c21.invoke_function("bench", "hello", m21.InvokeFunctionRequest(body=EVENT)),
                    lambda: c3.invoke_function("bench$hello", m3.InvokeFunctionRequest(body=io.BytesIO(EVENT))),
                ),
            }
            results = measure(pairs, count)
        except SetupError as e:
            print(f"set-up failed: {e}", file=sys.stderr)
            return 2
        finally:
            server.stop()
    report = {}
    print(f"{count} calls per side per operation, alternating; client-measured, ms")
    print(f"{'operation':<24}{'2021-04-06 p50':>16}{'2023-03-30 p50':>16}{'ratio':>8}"
          f"{'2021-04-06 p99':>16}{'2023-03-30 p99':>16}{'ratio':>8}")
    for name, sides in results.items():
        b, f = sides["2021-04-06"], sides["2023-03-30"]
        row = {q: (pct(b, q) * 1e3, pct(f, q) * 1e3) for q in (0.5, 0.99)}
        report[name] = {f"p{int(q * 100)}": {"base_ms": v[0], "fc3_ms": v[1], "ratio": v[1] / v[0]}
                        for q, v in row.items()}
        p50, p99 = row[0.5], row[0.99]
        print(f"{name:<24}{p50[0]:>16.3f}{p50[1]:>16.3f}{p50[1] / p50[0]:>8.2f}"
              f"{p99[0]:>16.3f}{p99[1]:>16.3f}{p99[1] / p99[0]:>8.2f}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
