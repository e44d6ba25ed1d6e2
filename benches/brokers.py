#!/usr/bin/env python3
"""Broker triggers (issue 19), measured in one run against a real `wasm-fc run` and the
real RabbitMQ at 127.0.0.1:5672. Run it through `benches/brokers`, which builds the
binaries and the guests.

1. Throughput: N messages are published into a queue first (`broker-bench publish`), then
   consumed:
   - the floor: `broker-bench floor`, a plain lapin consumer (prefetch 200) that
     acknowledges each message and does nothing else; and the same acknowledging every
     100th message with `multiple` (as the platform acknowledges a batch of 100);
   - wasm-fc: an `eventbridge` RabbitMQ trigger invoking a warm Wasm function
     (bench-hello), batch 1 (event-driven) and batch 100 (event-streaming,
     TimeBasedWindow 1 s). Timed from enabling the trigger to the platform counting N
     delivered events (`wasm_fc_event_source_events_total{outcome="delivered"}`, polled
     every 20 ms).
   Reported as messages/s and the ratio to the floor.
2. Delivery lag at a steady rate (default 1000 msg/s for 5 s): from the publisher's
   `sent_us` in the body to the floor consumer's arrival, and to the start of the
   wasm-fc function (oss-handler logs its wall clock, `start_us`, and the event), batch 1.
   p50 and p99, and the ratios.

Exit 1: a message never arrived. Exit 2: set-up failed (no RabbitMQ, no rabbitmqctl).
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
from soak import P, SetupError, api, must, pct  # noqa: E402

SERVICE = "mqbench"


def rabbitmqctl(*args):
    out = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SetupError(f"rabbitmqctl {' '.join(args)}: {out.stderr.strip()}")


def tool(binary, *args, background=False):
    cmd = [binary, *[str(a) for a in args]]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SetupError(f"{' '.join(cmd)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def metric(port, line_prefix):
    status, body = soak.request(port, "GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(line_prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def trigger_body(queue, vhost, batch, enabled):
    run = ({"mode": "event-driven"} if batch == 1 else
           {"mode": "event-streaming", "batchWindow": {"CountBasedWindow": batch, "TimeBasedWindow": 1}})
    return {"triggerConfig": {
        "triggerEnable": enabled,
        "eventSourceConfig": {"eventSourceType": "RabbitMQ", "eventSourceParameters": {
            "sourceRabbitMQParameters": {"InstanceId": "local", "VirtualHostName": vhost, "QueueName": queue}}},
        "runOptions": run,
        "eventSinkConfig": {"deliveryOption": {"eventSchema": "CloudEvents"}},
    }}


def platform_rate(port, bench_bin, uri, vhost, function, queue, batch, count):
    """Publishes `count`, enables a trigger on them and times their delivery."""
    tool(bench_bin, "publish", "--uri", uri, "--queue", queue, "--count", count)
    body = trigger_body(queue, vhost, batch, False)
    body.update({"triggerName": queue, "triggerType": "eventbridge"})
    must(api(port, "POST", f"{P}/services/{SERVICE}/functions/{function}/triggers", body), "CreateTrigger")
    delivered = f'wasm_fc_event_source_events_total{{trigger="{SERVICE}/{function}/{queue}",outcome="delivered"}}'
    start = time.perf_counter()
    must(api(port, "PUT", f"{P}/services/{SERVICE}/functions/{function}/triggers/{queue}",
             trigger_body(queue, vhost, batch, True)), "enable")
    deadline = time.time() + 300
    while metric(port, delivered) < count:
        if time.time() > deadline:
            raise RuntimeError(f"only {metric(port, delivered):.0f} of {count} delivered")
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    must(api(port, "DELETE", f"{P}/services/{SERVICE}/functions/{function}/triggers/{queue}"), "DeleteTrigger", 204)
    return count / seconds


def function_lags(port, function, expected, timeout=60):
    """seq -> start_us - sent_us, from the function log. The log read answers the newest
    1,000 records after `since`, so this polls while the messages arrive (every 0.2 s:
    a few hundred records a time at 1,000 msg/s) and moves `since` along."""
    lags, seen, since = {}, set(), int(time.time() * 1000) - 1
    path = f"/_wasm-fc/logs/{SERVICE}/{function}"
    deadline = time.time() + timeout
    while len(lags) < expected and time.time() < deadline:
        status, body = soak.request(port, "GET", f"{path}?since={since}&limit=1000",
                                    headers=soak.signed_headers("GET", path))
        if status != 200:
            raise SetupError(f"logs: HTTP {status}")
        records = json.loads(body)["records"]
        fresh = [r for r in records if r["requestId"] not in seen]
        for record in fresh:
            seen.add(record["requestId"])
            start = None
            for line in record["log"].splitlines():
                if "start_us " in line:
                    start = int(line.split("start_us ", 1)[1].split()[0])
                elif "event " in line and start is not None:
                    event = json.loads(line.split("event ", 1)[1])
                    items = event if isinstance(event, list) else [event]
                    for item in items:
                        b = item["data"]["body"]
                        lags[b["seq"]] = max(0, start - b["sent_us"])
        if records:
            # `since` is exclusive and records share milliseconds: step back one, skip seen ones.
            since = max(r["timeMs"] for r in records) - 1
        time.sleep(0.2)
    if len(lags) < expected:
        raise RuntimeError(f"{expected - len(lags)} of {expected} never ran")
    return sorted(lags.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--bench-bin", required=True)
    ap.add_argument("--guests", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.smoke:
        args.messages, args.seconds, args.rate = 300, 1.0, 200.0
    vhost = f"wasm-fc-bench-{os.getpid()}"
    uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    os.environ["WASM_FC_BROKERS"] = "local=amqp://guest:guest@127.0.0.1:5672"
    port = soak.free_port()
    server = soak.Server(args.bin, port, os.path.join(args.tmp, "data"), os.path.join(args.tmp, "server.log"))
    results = {}
    try:
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        # 1. Throughput.
        floors = {}
        for ack_every in (1, 100):
            tool(args.bench_bin, "publish", "--uri", uri, "--queue", "floor", "--count", args.messages)
            floors[ack_every] = tool(args.bench_bin, "floor", "--uri", uri, "--queue", "floor",
                                     "--count", args.messages, "--ack-every", ack_every)["per_s"]
        server.start(60)
        must(api(port, "POST", f"{P}/services", {"serviceName": SERVICE}), "CreateService")
        for name, wasm in (("hello", "bench_hello.wasm"), ("logger", "oss_handler.wasm")):
            must(api(port, "POST", f"{P}/services/{SERVICE}/functions", {
                "functionName": name, "runtime": "custom", "handler": "index.handler",
                "code": {"zipFile": soak.zip_b64(os.path.join(args.guests, wasm))}}), f"CreateFunction {name}")
            api(port, "POST", f"{P}/services/{SERVICE}/functions/{name}/invocations", {"warm": True})
        rates = {b: platform_rate(port, args.bench_bin, uri, vhost, "hello", f"batch{b}", b, args.messages)
                 for b in (1, 100)}
        results["throughput"] = {**{f"floor_ack_every_{k}_per_s": v for k, v in floors.items()},
                                 **{f"batch{b}_per_s": r for b, r in rates.items()},
                                 **{f"batch{b}_ratio": r / floors[1] for b, r in rates.items()},
                                 "batch100_ratio_to_batched_acks": rates[100] / floors[100]}
        # 2. Lag at a steady rate: the floor, then the platform (batch 1).
        count = int(args.rate * args.seconds)
        tool(args.bench_bin, "publish", "--uri", uri, "--queue", "lagfloor", "--count", 0)
        consumer = tool(args.bench_bin, "floor", "--uri", uri, "--queue", "lagfloor", "--count", count,
                        background=True)
        time.sleep(0.5)
        tool(args.bench_bin, "publish", "--uri", uri, "--queue", "lagfloor", "--count", count, "--rate", args.rate)
        out, _ = consumer.communicate(timeout=120)
        floor_lag = json.loads(out)
        tool(args.bench_bin, "publish", "--uri", uri, "--queue", "lag", "--count", 0)
        body = trigger_body("lag", vhost, 1, True)
        body.update({"triggerName": "lag", "triggerType": "eventbridge"})
        must(api(port, "POST", f"{P}/services/{SERVICE}/functions/logger/triggers", body), "CreateTrigger lag")
        connected = f'wasm_fc_event_source_connected{{trigger="{SERVICE}/logger/lag"}}'
        deadline = time.time() + 30
        while metric(port, connected) != 1.0:
            if time.time() > deadline:
                raise SetupError("the lag trigger never connected")
            time.sleep(0.05)
        publisher = tool(args.bench_bin, "publish", "--uri", uri, "--queue", "lag", "--count", count,
                         "--rate", args.rate, background=True)
        lags = function_lags(port, "logger", count)
        publisher.communicate(timeout=60)
        results["lag"] = {"rate_per_s": args.rate, "messages": count,
                          "floor_p50_ms": floor_lag["lag_p50_us"] / 1e3, "floor_p99_ms": floor_lag["lag_p99_us"] / 1e3,
                          "wasm_fc_p50_ms": pct(lags, 0.5) / 1e3, "wasm_fc_p99_ms": pct(lags, 0.99) / 1e3}
    except SetupError as e:
        print(f"set-up failed: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"failed: {e}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
    t, lag = results["throughput"], results["lag"]
    print()
    print("| measure | wasm-fc | floor (plain lapin consumer) | ratio |")
    print("|---|---|---|---|")
    for b in (1, 100):
        print(f"| messages/s into a warm Wasm function, batch {b} ({args.messages} messages), floor acking each | "
              f"{t[f'batch{b}_per_s']:.0f} | {t['floor_ack_every_1_per_s']:.0f} | {t[f'batch{b}_ratio']:.2f} |")
    print(f"| the same, batch 100, floor acking every 100th (multiple) | {t['batch100_per_s']:.0f} | "
          f"{t['floor_ack_every_100_per_s']:.0f} | {t['batch100_ratio_to_batched_acks']:.2f} |")
    for q in ("p50", "p99"):
        f, w = lag[f"floor_{q}_ms"], lag[f"wasm_fc_{q}_ms"]
        print(f"| delivery lag {q} at {lag['rate_per_s']:.0f} msg/s ({lag['messages']} messages) | "
              f"{w:.2f} ms | {f:.2f} ms | {w / f if f > 0 else float('nan'):.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
