#!/usr/bin/env python3
"""The bounded soak: sync InvokeFunction, async InvokeFunction and HTTP-trigger load at
once against a real `wasm-fc run` on 127.0.0.1, with a `kill -9` of the server and a
restart (same data dir, same port) in the middle. Run it through `benches/soak`, which
builds the binary and the guests.

It deploys one service with a NAS mount (a temp dir on the host at /mnt/sink) holding
  sink   the hostile guest with HOSTILE_SINK=/mnt/sink/: the async target; each payload
         is {"soak": "<uuid>"}, which it appends to /mnt/sink/events.jsonl
  hello  event-hello: the sync target
  web    http-hello behind an anonymous HTTP trigger
then runs a few threads per kind for the duration, records every async id answered 202,
and after the restart and a bounded drain counts the accepted ids never seen in
events.jsonl (must be 0; duplicates are allowed, at-least-once, and reported).

Fails (exit 1) when an accepted async invocation never ran, on any 5xx, or on a
connection-level error outside the kill window (a server that died on its own).
Exit 2: the set-up failed (server did not start, deploy refused). Standard library only.
"""

import argparse
import base64
import ctypes
import email.utils
import hashlib
import hmac
import http.client
import io
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile

KEY_ID = "SOAKKEYID"
SECRET = "soak-secret-0123456789"
HOST = "127.0.0.1"
P = "/2016-08-15"
SERVICE = "soak"
KINDS = ("sync", "async", "http")
# Connection-level failures: the server went away (or never answered).
CONN_ERRORS = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    http.client.IncompleteRead,
    socket.timeout,
    OSError,
)


class SetupError(Exception):
    pass


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- signing (fc-api.md §2; api/src/client.rs `signed_headers`) -----------------------

def signed_headers(method, path, extra=None):
    date = email.utils.formatdate(usegmt=True)
    headers = {"date": date, "content-type": "application/json"}
    headers.update(extra or {})
    fc = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-fc-"))
    canonical = "".join(f"{k}:{v}\n" for k, v in fc)
    to_sign = f"{method.upper()}\n\napplication/json\n{date}\n{canonical}{path}"
    mac = hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).digest()
    headers["authorization"] = f"FC {KEY_ID}:{base64.b64encode(mac).decode()}"
    return headers


def request(port, method, path, body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def api(port, method, path, body=None, extra=None):
    data = b"" if body is None else json.dumps(body).encode()
    return request(port, method, path, data, signed_headers(method, path, extra))


# --- the server -----------------------------------------------------------------------

def _die_with_parent():
    # The server must not outlive the soak, even if the soak is killed with SIGKILL.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Server:
    def __init__(self, binary, port, data_dir, log_path):
        self.binary, self.port, self.data_dir, self.log_path = binary, port, data_dir, log_path
        self.proc = None
        # The embedded object store's address; off unless a bench needs it.
        self.oss_listen = "off"

    def start(self, ready_timeout):
        env = dict(os.environ)
        env.update({
            "WASM_FC_ACCESS_KEY_ID": KEY_ID,
            "WASM_FC_ACCESS_KEY_SECRET": SECRET,
            "WASM_FC_NO_RUNTIMES": "1",
            "WASM_FC_LOG": env.get("WASM_FC_LOG", "warn"),
        })
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "run", "--quiet", "--listen", f"{HOST}:{self.port}",
             "--oss-listen", self.oss_listen, "--data-dir", self.data_dir],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env,
            preexec_fn=_die_with_parent)
        logf.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"wasm-fc exited with {self.proc.returncode}; see its log")
            try:
                if request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except CONN_ERRORS:
                pass
            time.sleep(0.05)
        raise SetupError(f"wasm-fc not ready within {ready_timeout} s")

    def rss_kib(self):
        return self.memory().get("VmRSS")

    def memory(self):
        """VmRSS and its parts (RssAnon, RssFile, RssShmem) in KiB, from /proc/<pid>/status."""
        out = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    key = line.split(":", 1)[0]
                    if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                        out[key] = int(line.split()[1])
        except (OSError, AttributeError, ValueError):
            pass
        return out

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- deploy ---------------------------------------------------------------------------

def zip_b64(wasm_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(wasm_path, "index.wasm")
    return base64.b64encode(buf.getvalue()).decode()


def must(status_body, what, expect=200):
    status, body = status_body
    if status != expect:
        raise SetupError(f"{what}: HTTP {status}: {body[:300]!r}")
    return body


def deploy(port, guests, nas_dir):
    must(api(port, "POST", f"{P}/services", {
        "serviceName": SERVICE,
        "nasConfig": {"mountPoints": [{"serverAddr": nas_dir, "mountDir": "/mnt/sink"}]},
    }), "CreateService")
    functions = [
        ("sink", "hostile.wasm", {"environmentVariables": {"HOSTILE_SINK": "/mnt/sink/"}}),
        ("hello", "event_hello.wasm", {}),
        ("web", "http_hello.wasm", {}),
    ]
    for name, wasm, extra in functions:
        path = os.path.join(guests, wasm)
        if not os.path.isfile(path):
            raise SetupError(f"{path} missing: `cargo build -p wasm-fc-test-guests` builds it")
        body = {"functionName": name, "runtime": "custom", "handler": "index.handler",
                "code": {"zipFile": zip_b64(path)}}
        body.update(extra)
        must(api(port, "POST", f"{P}/services/{SERVICE}/functions", body), f"CreateFunction {name}")
    must(api(port, "POST", f"{P}/services/{SERVICE}/functions/web/triggers", {
        "triggerName": "http", "triggerType": "http",
        "triggerConfig": {"authType": "anonymous", "methods": ["GET", "POST"]},
    }), "CreateTrigger")


# --- load -----------------------------------------------------------------------------

SYNC_PATH = f"{P}/services/{SERVICE}/functions/hello/invocations"
ASYNC_PATH = f"{P}/services/{SERVICE}/functions/sink/invocations"
HTTP_PATH = f"{P}/proxy/{SERVICE}/web/soak"


def build_request(kind):
    """(method, path, body, headers, async id or None)"""
    if kind == "sync":
        return "POST", SYNC_PATH, b'{"name":"soak"}', signed_headers("POST", SYNC_PATH), None
    if kind == "async":
        sid = str(uuid.uuid4())
        body = json.dumps({"soak": sid}).encode()
        return ("POST", ASYNC_PATH, body,
                signed_headers("POST", ASYNC_PATH, {"x-fc-invocation-type": "Async"}), sid)
    return "POST", HTTP_PATH, b"soak", {"content-type": "text/plain"}, None


def expected_ok(kind, status):
    return status == (202 if kind == "async" else 200)


class Worker(threading.Thread):
    """One client thread of one kind, on one keep-alive connection (re-opened on error)."""

    def __init__(self, kind, port, stop, timeout):
        super().__init__(daemon=True, name=f"soak-{kind}")
        self.kind, self.port, self.stop, self.timeout = kind, port, stop, timeout
        # (t_start, t_end, status) for answers; (t_end, error name) for connection errors
        self.answers, self.errors = [], []
        self.accepted = []  # async ids answered 202
        self.bad = []  # (status, body) samples of unexpected answers
        self.stale_retries = []  # times a reused keep-alive connection was found closed
        self.crash = None

    def run(self):
        try:
            self.loop()
        except Exception as e:  # a client bug must show, not end a thread silently
            self.crash = f"{type(e).__name__}: {e}"
            self.stop.set()

    def send(self, conn, method, path, body, headers):
        conn.request(method, path, body=body, headers=headers)
        return conn.getresponse()

    def loop(self):
        conn = None
        while not self.stop.is_set():
            method, path, body, headers, sid = build_request(self.kind)
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                    resp = self.send(conn, method, path, body, headers)
                else:
                    try:
                        resp = self.send(conn, method, path, body, headers)
                    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                        # A reused keep-alive connection the server had closed: retried
                        # once on a new one (counted), as HTTP clients do.
                        self.stale_retries.append(time.monotonic())
                        conn.close()
                        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                        t0 = time.monotonic()
                        resp = self.send(conn, method, path, body, headers)
                data = resp.read()
                t1 = time.monotonic()
                self.answers.append((t0, t1, resp.status))
                if sid is not None and resp.status == 202:
                    self.accepted.append(sid)
                if not expected_ok(self.kind, resp.status) and len(self.bad) < 5:
                    self.bad.append((resp.status, data[:200]))
                if resp.will_close:
                    conn.close()
                    conn = None
            except CONN_ERRORS as e:
                self.errors.append((time.monotonic(), type(e).__name__))
                if conn is not None:
                    conn.close()
                conn = None
                self.stop.wait(0.05)  # back off while the server is down
        if conn is not None:
            conn.close()


# --- the run --------------------------------------------------------------------------

SOAK_ID = re.compile(rb'"soak"\s*:\s*"([0-9a-f-]{36})"')


def seen_ids(events_path):
    """Every soak id in events.jsonl with its count. Matched anywhere, not per line:
    concurrent instances' appends may interleave a line with its newline."""
    counts = {}
    try:
        with open(events_path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return counts
    for m in SOAK_ID.finditer(data):
        sid = m.group(1).decode()
        counts[sid] = counts.get(sid, 0) + 1
    return counts


def queue_depth(port):
    try:
        status, body = request(port, "GET", "/metrics", timeout=5)
    except CONN_ERRORS:
        return None
    if status != 200:
        return None
    total = 0.0
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("wasm_fc_async_queue_depth"):
            try:
                total += float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    return total


def pct(sorted_values, q):
    if not sorted_values:
        return None
    rank = math.ceil(q * len(sorted_values))  # nearest rank
    return sorted_values[max(0, min(len(sorted_values), rank) - 1)]


def ms(v):
    return "-" if v is None else (f"{v * 1000:.2f} ms" if v < 0.1 else f"{v * 1000:.0f} ms")


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def machine_busy_s():
    """CPU seconds every CPU has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid):
    """user + system CPU seconds of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def own_cpu_s():
    t = os.times()
    return t.user + t.system


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the wasm-fc binary")
    ap.add_argument("--guests", required=True, help="dir of hostile.wasm, event_hello.wasm, http_hello.wasm")
    ap.add_argument("--smoke", action="store_true", help="CI: 8 s of load, 2 threads per kind")
    ap.add_argument("--duration", type=float, help="seconds of load (default 60; smoke 8)")
    ap.add_argument("--threads", type=int, help="client threads per kind (default 3; smoke 2)")
    ap.add_argument("--drain-timeout", type=float, default=60,
                    help="seconds to wait after the load for accepted async ids to run (default 60)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (server log, data, events)")
    ap.add_argument("--tmp", help="an empty dir to work in (benches/soak makes one and removes it "
                                  "on exit unless it holds .keep); default: a new temp dir")
    args = ap.parse_args()
    duration = args.duration or (8.0 if args.smoke else 60.0)
    threads = args.threads or (2 if args.smoke else 3)
    duration = max(2.0, min(duration, 3600.0))
    threads = max(1, min(threads, 32))
    drain_timeout = max(1.0, min(args.drain_timeout, 600.0))

    tmp = args.tmp or tempfile.mkdtemp(prefix="wasm-fc-soak-")
    server = None
    workers = []
    stop = threading.Event()

    def on_signal(signum, _frame):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # once: let the clean-up run
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        data_dir, nas_dir = os.path.join(tmp, "data"), os.path.join(tmp, "nas")
        os.makedirs(data_dir)
        os.makedirs(nas_dir)
        events = os.path.join(nas_dir, "events.jsonl")
        port = free_port()
        server = Server(os.path.abspath(args.bin), port, data_dir, os.path.join(tmp, "server.log"))
        log(f"{args.bin} on {HOST}:{port}, data {data_dir}; {duration:.0f} s of load, "
            f"{threads} threads per kind, kill -9 at {duration / 2:.0f} s")
        server.start(ready_timeout=60)
        pid1 = server.proc.pid
        deploy(port, args.guests, nas_dir)
        # One of each, checked, before the clock starts (and the instances warm).
        for kind in KINDS:
            method, path, body, headers, sid = build_request(kind)
            status, reply = request(port, method, path, body, headers)
            if not expected_ok(kind, status):
                raise SetupError(f"warm-up {kind}: HTTP {status}: {reply[:300]!r}")
        warm_deadline = time.monotonic() + 30
        while not seen_ids(events) and time.monotonic() < warm_deadline:
            time.sleep(0.05)
        if not seen_ids(events):
            raise SetupError("the warm-up async invocation never reached events.jsonl")
        warm_ids = set(seen_ids(events))
        rss_before = server.rss_kib()

        workers = [Worker(kind, port, stop, timeout=30) for kind in KINDS for _ in range(threads)]
        # CPU others used meanwhile: the machine's busy time minus the soak's and the server's.
        busy0, own0, server1_0 = machine_busy_s(), own_cpu_s(), process_cpu_s(pid1)
        t_start = time.monotonic()
        for w in workers:
            w.start()
        samples = []  # (s into the load, server pid, VmRSS, RssAnon, RssFile KiB), ~1 a second

        def sample_until(t_end):
            while True:
                now = time.monotonic()
                m = server.memory()
                if "VmRSS" in m:
                    samples.append((round(now - t_start, 1), server.proc.pid, m["VmRSS"],
                                    m.get("RssAnon"), m.get("RssFile")))
                if now >= t_end or stop.is_set():
                    return
                time.sleep(min(1.0, t_end - now))

        sample_until(t_start + duration / 2)
        rss_mid = server.rss_kib()
        server1_cpu = process_cpu_s(pid1) - server1_0
        t_kill = time.monotonic()
        server.kill9()
        log(f"kill -9 {pid1} at {t_kill - t_start:.1f} s (RSS {mib(rss_mid)}); restarting")
        server.start(ready_timeout=60)
        t_ready = time.monotonic()
        pid2 = server.proc.pid
        rss_restart = server.rss_kib()
        log(f"restarted as {pid2}, ready after {t_ready - t_kill:.2f} s")
        sample_until(t_start + duration)
        stop.set()
        t_stop = time.monotonic()
        for w in workers:
            w.join(timeout=40)
        if any(w.is_alive() for w in workers):
            raise SetupError("a client thread did not finish within 40 s of the end")
        rss_after = server.rss_kib()
        server_cpu = server1_cpu + process_cpu_s(pid2)
        soak_cpu = own_cpu_s() - own0
        other_cpu = max(0.0, machine_busy_s() - busy0 - server_cpu - soak_cpu)
        load_wall = t_stop - t_start

        accepted = [sid for w in workers for sid in w.accepted]
        accepted_set = set(accepted)
        log(f"load done; waiting up to {drain_timeout:.0f} s for {len(accepted_set)} accepted async ids")
        drain_start = time.monotonic()
        while True:
            counts = seen_ids(events)
            missing = accepted_set - counts.keys()
            if not missing or time.monotonic() - drain_start > drain_timeout:
                break
            time.sleep(0.25)
        drain_s = time.monotonic() - drain_start
        depth = queue_depth(port)
        rss_drained = server.rss_kib()
        server_alive = server.proc.poll() is None

        # --- figures ---
        kill_lo, kill_hi = t_kill, t_ready + 1.0
        report = {"duration_s": round(load_wall, 2), "threads_per_kind": threads,
                  "kill_at_s": round(t_kill - t_start, 2),
                  "restart_ready_s": round(t_ready - t_kill, 3), "kinds": {}}
        five_xx = 0
        conn_outside = 0
        table = []
        for kind in KINDS:
            ws = [w for w in workers if w.kind == kind]
            answers = [a for w in ws for a in w.answers]
            lat = sorted(t1 - t0 for t0, t1, _ in answers)
            statuses = {}
            for _, _, s in answers:
                statuses[s] = statuses.get(s, 0) + 1
            k5 = sum(n for s, n in statuses.items() if s >= 500)
            errs = [e for w in ws for e in w.errors]
            in_kill = sum(1 for t, _ in errs if kill_lo <= t <= kill_hi)
            outside = len(errs) - in_kill
            five_xx += k5
            conn_outside += outside
            halves = {}
            for name, lo, hi in (("first_half", t_start, t_kill), ("second_half", t_ready, t_stop)):
                part = sorted(t1 - t0 for t0, t1, _ in answers if lo <= t0 < hi)
                halves[name] = {"p50_ms": None if not part else round(pct(part, .5) * 1000, 3),
                                "p99_ms": None if not part else round(pct(part, .99) * 1000, 3)}
            report["kinds"][kind] = {
                "requests": len(answers), "req_per_s": round(len(answers) / load_wall, 1),
                "p50_ms": None if not lat else round(pct(lat, .5) * 1000, 3),
                "p99_ms": None if not lat else round(pct(lat, .99) * 1000, 3),
                "max_ms": None if not lat else round(lat[-1] * 1000, 1),
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "5xx": k5, "conn_errors_kill_window": in_kill, "conn_errors_outside": outside,
                "stale_keepalive_retries_outside_kill": sum(
                    1 for w in ws for t in w.stale_retries if not kill_lo <= t <= kill_hi),
                "unexpected_samples": [(s, b.decode(errors="replace")) for w in ws for s, b in w.bad][:5],
                **halves,
            }
            table.append((kind, len(answers), len(answers) / load_wall,
                          pct(lat, .5), pct(lat, .99), k5, in_kill, outside,
                          {k: v for k, v in statuses.items() if not expected_ok(kind, k)}))
        counts = seen_ids(events)
        ran = len(accepted_set & counts.keys())
        never = sorted(accepted_set - counts.keys())
        dupes = sum(1 for sid in accepted_set if counts.get(sid, 0) > 1)
        extra_runs = sum(counts.get(sid, 0) - 1 for sid in accepted_set if counts.get(sid, 0) > 1)
        unaccepted_ran = len(set(counts) - accepted_set - warm_ids)
        report["async"] = {"accepted": len(accepted), "accepted_unique": len(accepted_set),
                           "ran": ran, "never_ran": len(never), "duplicated_ids": dupes,
                           "extra_runs": extra_runs, "ran_without_202": unaccepted_ran,
                           "drain_s": round(drain_s, 2), "queue_depth_after": depth,
                           "never_ran_sample": never[:10]}
        report["rss_kib"] = {"before": rss_before, "mid_before_kill": rss_mid,
                             "restarted": rss_restart, "after_load": rss_after,
                             "after_drain": rss_drained,
                             "peak_first": max((x[2] for x in samples if x[1] == pid1), default=None),
                             "peak_second": max((x[2] for x in samples if x[1] == pid2), default=None),
                             "samples": samples}
        report["cpu_s"] = {"server": round(server_cpu, 1), "soak_client": round(soak_cpu, 1),
                           "other_processes": round(other_cpu, 1)}
        crashes = [w.crash for w in workers if w.crash]
        report["cpus"] = os.cpu_count()
        with open(server.log_path, "rb") as f:
            server_log = f.read()
        panics = server_log.count(b"panicked")
        report["server_log_panics"] = panics
        report["server_alive_at_end"] = server_alive

        print()
        print(f"soak: {load_wall:.1f} s of load, {threads} threads per kind, kill -9 at "
              f"{t_kill - t_start:.1f} s, restarted and ready in {t_ready - t_kill:.2f} s; "
              f"{os.cpu_count()} CPUs; CPU used during the load: server {server_cpu / load_wall:.2f} "
              f"CPUs, this client {soak_cpu / load_wall:.2f}, other processes "
              f"{other_cpu / load_wall:.2f} (averages)")
        print()
        print("| kind | requests | req/s | p50 | p99 | 5xx | conn. errors in kill window | other conn. errors | other statuses |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for kind, n, rps, p50, p99, k5, ink, outk, other in table:
            print(f"| {kind} | {n:,} | {rps:,.0f} | {ms(p50)} | {ms(p99)} | {k5} | {ink} | {outk} | "
                  f"{', '.join(f'{k}: {v}' for k, v in sorted(other.items())) or '-'} |")
        print()
        a = report["async"]
        print(f"async: accepted {a['accepted_unique']:,} / ran {a['ran']:,} / never ran "
              f"{a['never_ran']} / ran more than once {a['duplicated_ids']} ids ({a['extra_runs']} "
              f"extra runs); drained in {drain_s:.1f} s; queue depth after {depth}; "
              f"{unaccepted_ran} ids ran without a 202 (in flight at the kill)")
        print(f"RSS: before {mib(rss_before)}, mid (before kill) {mib(rss_mid)}, restarted "
              f"{mib(rss_restart)}, after load {mib(rss_after)}, after drain {mib(rss_drained)}; peak "
              f"{mib(report['rss_kib']['peak_first'])} (first server), "
              f"{mib(report['rss_kib']['peak_second'])} (restarted)")
        for label, pid in (("first server", pid1), ("restarted", pid2)):
            mine = [x for x in samples if x[1] == pid]
            if len(mine) >= 2:
                a0, a1 = mine[1], mine[-1]  # from 1 s in: the first sample may still hold start-up
                print(f"  {label}: RSS {mib(a0[2])} at {a0[0]:.0f} s -> {mib(a1[2])} at {a1[0]:.0f} s "
                      f"(anon {mib(a0[3])} -> {mib(a1[3])}, file {mib(a0[4])} -> {mib(a1[4])})")
        print(f"server log: {panics} 'panicked' lines; server alive at end: {server_alive}")
        for kind in KINDS:
            k = report["kinds"][kind]
            print(f"  {kind}: first half p50/p99 {k['first_half']['p50_ms']}/{k['first_half']['p99_ms']} ms, "
                  f"second half {k['second_half']['p50_ms']}/{k['second_half']['p99_ms']} ms, "
                  f"max {k['max_ms']} ms; keep-alive connections found closed outside the kill "
                  f"{k['stale_keepalive_retries_outside_kill']}")
            for s, b in k["unexpected_samples"]:
                print(f"    unexpected HTTP {s}: {b!r}")
        if never:
            print(f"never ran (first 10): {never[:10]}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)

        failures = []
        if never:
            failures.append(f"{len(never)} accepted async invocations never ran")
        if five_xx:
            failures.append(f"{five_xx} 5xx answers")
        if conn_outside:
            failures.append(f"{conn_outside} connection errors outside the kill window")
        if crashes:
            failures.append(f"client threads crashed: {crashes[:3]}")
        if not server_alive:
            failures.append("the restarted server died")
        if failures:
            tail = server_log[-3000:].decode(errors="replace")
            print(f"\nFAIL: {'; '.join(failures)}\n--- server log (tail) ---\n{tail}", file=sys.stderr)
            return 1
        print("\nPASS: every accepted async invocation ran, no 5xx")
        return 0
    except (SetupError, *CONN_ERRORS) as e:
        print(f"soak set-up failed: {type(e).__name__}: {e}", file=sys.stderr)
        if server:
            try:
                with open(server.log_path, "rb") as f:
                    print(f.read()[-3000:].decode(errors="replace"), file=sys.stderr)
            except OSError:
                pass
        return 2
    except KeyboardInterrupt as e:
        print(f"soak interrupted ({e})", file=sys.stderr)
        return 130
    finally:
        stop.set()
        if server:
            server.stop()
        for w in workers:
            w.join(timeout=5)
        if args.keep:
            open(os.path.join(tmp, ".keep"), "w").close()
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
