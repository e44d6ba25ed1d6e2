#!/usr/bin/env python3
"""Many nodes on one PostgreSQL store (issue 17): what the shared store costs and what a
second node buys, measured in one run against real `wasm-fc run` processes on 127.0.0.1.
Run it through `benches/cluster`, which builds the binary and the guests.

Three setups, one after the other, each with fresh state:
  a  SQLite, 1 node          the default embedded store: the baseline
  b  PostgreSQL, 1 node      `--store postgres://…/wasm_fc_bench_<hex>`
  c  PostgreSQL, 2 nodes     the same database, separate data dirs and ports
Each PostgreSQL setup gets its own throw-away database, created with psql and dropped
(WITH (FORCE)) at the end of the setup, also when it failed. Every setup deploys one
service with a NAS mount (a temp dir on the host at /mnt/sink) holding
  sink   the hostile guest with HOSTILE_SINK=/mnt/sink/: a JSON event is appended to
         /mnt/sink/events.jsonl; the text event `counter` answers at once, `env` answers
         with the instance's environment variables
and then measures, from 8 client threads (one keep-alive connection per thread and node,
requests round-robin over the setup's nodes):
  1. async (every setup): N async invocations ({"n": i}, `x-fc-invocation-type: Async`).
     accept rate     = N / (first POST -> last 202)
     completion rate = N / (first POST -> every n in events.jsonl), the file being polled
                       every few ms and searched for `"n":` numbers (not lines: concurrent
                       appends may interleave); a non-202 answer fails the run
  2. sync (b and c, after the async phase): M sync invocations of `counter`, latency
     p50/p99 per request (after an untimed warm-up wave)
  3. cache coherence (c): S samples; sample i is an UpdateFunction on node A setting
     GEN=i, then sync `env` invocations on node B back to back (no sleep) until one
     answers GEN=i; lag = the PUT's answer -> that answer
The figures end in one Markdown table, with every PostgreSQL async rate also as a ratio to
setup a, and 2-node sync latency as a ratio to 1 node (--json writes them too).

Exit 1: a measured thing failed (a POST not answered 202, a sync invocation that did not
answer, an accepted invocation that never ran, a node that never saw an update).
Exit 2: the set-up failed (psql or PostgreSQL missing, a node did not start, deploy
refused). Standard library only, plus the psql CLI.
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (signing, the server wrapper, deploy helpers)
from soak import CONN_ERRORS, HOST, P, SetupError, api, must, pct, signed_headers  # noqa: E402

SERVICE = "cluster"
FUNCTION_PATH = f"{P}/services/{SERVICE}/functions/sink"
INVOKE_PATH = f"{FUNCTION_PATH}/invocations"
SINK_ENV = {"HOSTILE_SINK": "/mnt/sink/"}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
# (key, label, store, nodes): run in this order; the first is the baseline.
SETUPS = (
    ("sqlite_1", "SQLite, 1 node", "sqlite", 1),
    ("pg_1", "PostgreSQL, 1 node", "postgres", 1),
    ("pg_2", "PostgreSQL, 2 nodes", "postgres", 2),
)
N_RE = re.compile(rb'"n"\s*:\s*(\d+)')
WARM_RE = re.compile(rb'"warm"\s*:\s*(\d+)')


class BenchError(Exception):
    """A measured thing went wrong (exit 1), as opposed to a set-up failure (exit 2)."""


class PgUnavailable(Exception):
    """psql or the PostgreSQL server is missing: a one-line error, exit 2."""


def log(msg):
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- PostgreSQL, through the psql CLI ---------------------------------------------------

def psql(url, sql):
    """Runs one statement; returns its output (unaligned, tuples only)."""
    try:
        out = subprocess.run(["psql", "-q", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise PgUnavailable("psql not found on PATH (the PostgreSQL client is needed)") from None
    if out.returncode != 0:
        first = (out.stderr.strip().splitlines() or ["(no message)"])[0]
        raise PgUnavailable(f"psql {sql!r} on {url}: {first.removeprefix('psql: error: ')}")
    return out.stdout.strip()


class Database:
    """A throw-away database on the server `admin_url` points to (any database there)."""

    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.name = f"wasm_fc_bench_{secrets.token_hex(4)}"
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
        self.created = False

    def create(self):
        # Marked first: an interrupt may land after the server created it but before psql
        # returned, and the drop (IF EXISTS) is harmless when it did not.
        self.created = True
        psql(self.admin_url, f'CREATE DATABASE "{self.name}"')

    def drop(self):
        """Always called; a psql failure only warns, so that it never hides the real failure."""
        if not self.created:
            return
        sql = f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'
        try:
            try:
                psql(self.admin_url, sql)
            except KeyboardInterrupt:
                # The first signal landed mid-drop: once more (signals are ignored from
                # then on, see main), then let the interrupt go on.
                psql(self.admin_url, sql)
                raise
            self.created = False
        except PgUnavailable as e:
            print(f"cluster: could not drop database {self.name}: {e}", file=sys.stderr)


# --- the nodes --------------------------------------------------------------------------

class Node(soak.Server):
    """soak's server wrapper, plus `--store`. start() is soak.Server.start with the extra
    argument (WASM_FC_ACCESS_KEY_ID/SECRET = soak's KEY_ID/SECRET, WASM_FC_NO_RUNTIMES=1)."""

    def __init__(self, binary, port, data_dir, log_path, store=None):
        super().__init__(binary, port, data_dir, log_path)
        self.store = store

    def start(self, ready_timeout):
        env = dict(os.environ)
        env.update({
            "WASM_FC_ACCESS_KEY_ID": soak.KEY_ID,
            "WASM_FC_ACCESS_KEY_SECRET": soak.SECRET,
            "WASM_FC_NO_RUNTIMES": "1",
            "WASM_FC_LOG": env.get("WASM_FC_LOG", "warn"),
        })
        # No object store: nodes on one host would share its default port.
        argv = [self.binary, "run", "--quiet", "--listen", f"{HOST}:{self.port}",
                "--oss-listen", "off", "--data-dir", self.data_dir]
        if self.store:
            argv += ["--store", self.store]
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     env=env, preexec_fn=soak._die_with_parent)
        logf.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"wasm-fc on :{self.port} exited with {self.proc.returncode}; see its log")
            try:
                if soak.request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except CONN_ERRORS:
                pass
            time.sleep(0.05)
        raise SetupError(f"wasm-fc on :{self.port} not ready within {ready_timeout} s")


class Cluster:
    """The nodes of one setup: a data dir, a port and a log each; one store; one NAS dir."""

    def __init__(self, binary, root, count, store):
        self.nas_dir = os.path.join(root, "nas")
        self.events = os.path.join(self.nas_dir, "events.jsonl")
        os.makedirs(self.nas_dir)
        self.nodes = []
        for k in range(count):
            data_dir = os.path.join(root, f"data{k}")
            os.makedirs(data_dir)
            self.nodes.append(Node(binary, soak.free_port(), data_dir,
                                   os.path.join(root, f"node{k}.log"), store))
        self.ports = [n.port for n in self.nodes]
        self.stop_s = None
        self.exit_codes = None

    def start(self):
        # One after the other: the first one to open a fresh database creates its schema.
        for node in self.nodes:
            node.start(ready_timeout=60)

    def stop(self):
        """SIGTERM to every node at once, then wait for each (soak's stop: SIGKILL after 10 s)."""
        t0 = time.monotonic()
        for node in self.nodes:
            if node.proc and node.proc.poll() is None:
                node.proc.terminate()
        for node in self.nodes:
            node.stop()
        self.stop_s = time.monotonic() - t0
        self.exit_codes = [None if n.proc is None else n.proc.returncode for n in self.nodes]

    def log_text(self, k):
        try:
            with open(self.nodes[k].log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


def deploy(port, guests, nas_dir):
    """The service with its NAS mount and the sink function, on one node."""
    must(api(port, "POST", f"{P}/services", {
        "serviceName": SERVICE,
        "nasConfig": {"mountPoints": [{"serverAddr": nas_dir, "mountDir": "/mnt/sink"}]},
    }), "CreateService")
    path = os.path.join(guests, "hostile.wasm")
    if not os.path.isfile(path):
        raise SetupError(f"{path} missing: `cargo build -p wasm-fc-test-guests` builds it")
    must(api(port, "POST", f"{P}/services/{SERVICE}/functions", {
        "functionName": "sink", "runtime": "custom", "handler": "index.handler",
        "code": {"zipFile": soak.zip_b64(path)}, "environmentVariables": SINK_ENV,
    }), "CreateFunction sink")


# --- the client -------------------------------------------------------------------------

def send(conns, port, path, body, headers, timeout=60):
    """One POST on this thread's keep-alive connection to `port` (opened on demand; a
    reused one the server had closed is retried once on a fresh one, as HTTP clients do).
    Returns (t_sent, t_answered, status, body)."""
    for _ in range(2):
        conn = conns.get(port)
        fresh = conn is None
        if fresh:
            conn = conns[port] = http.client.HTTPConnection(HOST, port, timeout=timeout)
        t0 = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conns.pop(port).close()
            if fresh:
                raise
            continue
        t1 = time.monotonic()
        if resp.will_close:
            conns.pop(port).close()
        return t0, t1, resp.status, data
    raise AssertionError("unreachable")


def drive(ports, count, threads, build, check):
    """Sends `count` requests from `threads` client threads, request i to
    ports[i % len(ports)]; build(i) -> (body, headers), check(status, body) -> a complaint
    or None. Returns [(t_sent, t_answered)] indexed by i. The first complaint or error
    stops every thread and raises BenchError."""
    lock = threading.Lock()
    todo = iter(range(count))
    times = [None] * count
    failures = []
    stop = threading.Event()

    def worker():
        conns = {}
        try:
            while not stop.is_set():
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                port = ports[i % len(ports)]
                body, headers = build(i)
                t0, t1, status, data = send(conns, port, INVOKE_PATH, body, headers)
                times[i] = (t0, t1)
                complaint = check(status, data)
                if complaint:
                    failures.append(f"request {i} to node :{port}: {complaint}")
                    stop.set()
        except Exception as e:  # a connection error or a client bug: shown, not swallowed
            failures.append(f"{type(e).__name__}: {e}")
            stop.set()
        finally:
            for conn in conns.values():
                conn.close()

    pool = [threading.Thread(target=worker, daemon=True, name=f"client-{k}") for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if failures:
        raise BenchError(f"{len(failures)} failed request(s); first: {failures[0]}")
    return times


def expect(status_wanted, prefix=None):
    def check(status, data):
        if status != status_wanted or (prefix is not None and not data.startswith(prefix)):
            want = f"HTTP {status_wanted}" + (f" starting with {prefix!r}" if prefix else "")
            return f"HTTP {status} (wanted {want}): {data[:200]!r}"
        return None
    return check


def sync_counter(_i):
    return b"counter", signed_headers("POST", INVOKE_PATH)


def async_n(i):
    return (json.dumps({"n": i}, separators=(",", ":")).encode(),
            signed_headers("POST", INVOKE_PATH, {"x-fc-invocation-type": "Async"}))


def seen(events, pattern):
    """The numbers `pattern` finds anywhere in events.jsonl, with their counts."""
    counts = {}
    try:
        with open(events, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return counts
    for m in pattern.finditer(data):
        k = int(m.group(1))
        counts[k] = counts.get(k, 0) + 1
    return counts


def warm_up(cluster, threads):
    """Untimed: every node answers the function (node B may learn of the deploy on A
    later: waited for, up to 30 s, and reported), a wave of sync invocations per node,
    and one async invocation through each node that must reach events.jsonl. Returns the
    seconds each node took to answer its first sync invocation (a cold start: node B
    fetches the code from the store and compiles it)."""
    first_answer_s = []
    t_deploy = time.monotonic()
    for port in cluster.ports:
        first_refusal = None
        t_node = time.monotonic()
        while True:
            status, data = soak.request(port, "POST", INVOKE_PATH, b"counter",
                                        signed_headers("POST", INVOKE_PATH))
            if status == 200:
                break
            if first_refusal is None:
                first_refusal = f"HTTP {status}: {data[:160]!r}"
                log(f"node :{port} does not run the function yet, {time.monotonic() - t_deploy:.3f} s "
                    f"after the deploy: {first_refusal}; retrying every 10 ms")
            if time.monotonic() - t_deploy > 30:
                raise SetupError(f"node :{port} does not run the deployed function after 30 s: "
                                 f"HTTP {status}: {data[:200]!r}")
            time.sleep(0.01)
        first_answer_s.append(round(time.monotonic() - t_node, 3))
    drive(cluster.ports, threads * 4 * len(cluster.ports), threads, sync_counter, expect(200, b"counter="))
    for k, port in enumerate(cluster.ports):
        must(soak.request(port, "POST", INVOKE_PATH, json.dumps({"warm": k}).encode(),
                          signed_headers("POST", INVOKE_PATH, {"x-fc-invocation-type": "Async"})),
             f"warm-up async invocation on node :{port}", expect=202)
    deadline = time.monotonic() + 30
    while len(seen(cluster.events, WARM_RE)) < len(cluster.ports):
        if time.monotonic() > deadline:
            raise SetupError("the warm-up async invocations did not reach events.jsonl within 30 s")
        time.sleep(0.01)
    return first_answer_s


# --- the measurements ---------------------------------------------------------------------

def async_phase(cluster, n, threads, drain_timeout):
    """N async invocations; the accept and completion rates (see the module docstring)."""
    expected = set(range(n))
    done = {}
    stop_watch = threading.Event()

    def watch():
        # Polls events.jsonl until every n is in it: the completion time.
        while not stop_watch.is_set():
            if expected <= seen(cluster.events, N_RE).keys():
                done["t"] = time.monotonic()
                return
            stop_watch.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True, name="events-watcher")
    watcher.start()
    try:
        times = drive(cluster.ports, n, threads, async_n, expect(202))
        t_first = min(t0 for t0, _ in times)
        t_last_202 = max(t1 for _, t1 in times)
        watcher.join(timeout=drain_timeout)
    finally:
        stop_watch.set()
    counts = seen(cluster.events, N_RE)
    if "t" not in done:
        missing = sorted(expected - counts.keys())
        depths = [soak.queue_depth(p) for p in cluster.ports]
        raise BenchError(f"{len(missing)} of {n} accepted async invocations not in events.jsonl "
                         f"{drain_timeout:.0f} s after the last 202 (first: {missing[:10]}; "
                         f"queue depth per node: {depths})")
    accept_s, complete_s = t_last_202 - t_first, done["t"] - t_first
    return {"invocations": n, "accept_s": round(accept_s, 3), "complete_s": round(complete_s, 3),
            "accept_per_s": round(n / accept_s, 1), "complete_per_s": round(n / complete_s, 1),
            "ran_more_than_once": sum(1 for k in expected if counts.get(k, 0) > 1)}


def sync_phase(cluster, m, threads):
    """M sync `counter` invocations; latency per request."""
    times = drive(cluster.ports, m, threads, sync_counter, expect(200, b"counter="))
    lat = sorted(t1 - t0 for t0, t1 in times)
    wall = max(t1 for _, t1 in times) - min(t0 for t0, _ in times)
    return {"invocations": m, "p50_ms": round(pct(lat, .5) * 1000, 3),
            "p99_ms": round(pct(lat, .99) * 1000, 3), "max_ms": round(lat[-1] * 1000, 3),
            "per_s": round(m / wall, 1)}


def coherence_phase(cluster, samples, timeout):
    """UpdateFunction on node A, then node B polled with `env` until it shows the change."""
    a, b = cluster.ports[0], cluster.ports[1]
    conns = {}
    lags, polls = [], []
    try:
        for i in range(samples):
            must(api(a, "PUT", FUNCTION_PATH, {"environmentVariables": {**SINK_ENV, "GEN": str(i)}}),
                 f"UpdateFunction GEN={i} on node A")
            t_put = time.monotonic()
            want = re.compile(rb"^GEN=%d$" % i, re.M)
            k = 0
            while True:
                _, t1, status, data = send(conns, b, INVOKE_PATH, b"env", signed_headers("POST", INVOKE_PATH))
                k += 1
                if status != 200:
                    raise BenchError(f"sample {i}: `env` on node B: HTTP {status}: {data[:200]!r}")
                if want.search(data):
                    break
                if t1 - t_put > timeout:
                    last = re.search(rb"^GEN=.*$", data, re.M)
                    raise BenchError(f"sample {i}: node B still without GEN={i} {timeout:.0f} s after "
                                     f"UpdateFunction on node A ({k} polls; it shows "
                                     f"{last.group(0).decode() if last else 'no GEN'})")
            lags.append(t1 - t_put)
            polls.append(k)
    finally:
        for conn in conns.values():
            conn.close()
    s = sorted(lags)
    return {"samples": samples, "p50_ms": round(pct(s, .5) * 1000, 3),
            "p99_ms": round(pct(s, .99) * 1000, 3), "max_ms": round(s[-1] * 1000, 3),
            "polls_p50": pct(sorted(polls), .5), "polls_max": max(polls)}


def run_setup(args, key, label, store, count, tmp):
    """One setup from a fresh store to stopped nodes (and its database dropped)."""
    root = os.path.join(tmp, key)
    os.makedirs(root)
    db = cluster = None
    log(f"{label}: starting")
    try:
        url = None
        if store == "postgres":
            db = Database(args.pg_url)
            db.create()
            url = db.url
            log(f"{label}: database {db.name}")
        cluster = Cluster(os.path.abspath(args.bin), root, count, url)
        cluster.start()
        deploy(cluster.ports[0], args.guests, cluster.nas_dir)
        out = {"label": label, "store": store, "nodes": count}
        out["first_answer_s"] = warm_up(cluster, args.threads)
        out["async"] = async_phase(cluster, args.async_n, args.threads, args.drain_timeout)
        log(f"{label}: async {out['async']['accept_per_s']:,.0f} accepted/s, "
            f"{out['async']['complete_per_s']:,.0f} completed/s")
        if store == "postgres":
            out["sync"] = sync_phase(cluster, args.sync_m, args.threads)
            log(f"{label}: sync p50 {out['sync']['p50_ms']} ms, p99 {out['sync']['p99_ms']} ms")
        if count >= 2:
            out["coherence"] = coherence_phase(cluster, args.samples, args.lag_timeout)
            log(f"{label}: coherence lag p50 {out['coherence']['p50_ms']} ms, "
                f"p99 {out['coherence']['p99_ms']} ms")
        cluster.stop()
        out["stop_s"] = round(cluster.stop_s, 3)
        out["exit_codes"] = cluster.exit_codes
        out["log_panics"] = sum(cluster.log_text(k).count("panicked") for k in range(count))
        return out
    except (SetupError, BenchError, *CONN_ERRORS):
        if cluster:
            for k, node in enumerate(cluster.nodes):
                alive = node.proc is not None and node.proc.poll() is None
                print(f"--- {label}, node {k} (:{node.port}, {'alive' if alive else 'exited'}) "
                      f"log tail ---\n{cluster.log_text(k)[-3000:]}", file=sys.stderr)
        raise
    finally:
        if cluster:
            cluster.stop()
        if db:
            db.drop()


# --- the report ---------------------------------------------------------------------------

def machine_info(pg_version):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "postgresql": pg_version}


def ratio(value, base):
    return None if value is None or not base else round(value / base, 3)


def fmt_rate(v, r=None, of=""):
    s = f"{v:,.0f}/s"
    return s if r is None else f"{s} ({r:.2f}× {of})"


def fmt_ms(v, r=None, of=""):
    s = "-" if v is None else f"{v:.2f} ms"
    return s if r is None else f"{s} ({r:.2f}× {of})"


def print_report(report):
    m, p = report["machine"], report["params"]
    print()
    print(f"cluster: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, Python {m['python']}, "
          f"PostgreSQL {m['postgresql']}; {p['binary']}; {p['threads']} client threads; "
          f"async N={p['async_n']:,}, sync M={p['sync_m']:,}, coherence samples={p['samples']}"
          f"{'; SMOKE (numbers mean nothing)' if p['smoke'] else ''}")
    for key, _, _, _ in SETUPS:
        s = report["setups"][key]
        a = s["async"]
        print(f"  {s['label']}: accepted in {a['accept_s']:.2f} s, all ran after {a['complete_s']:.2f} s "
              f"({a['ran_more_than_once']} ran more than once); first sync answer per node "
              f"{s['first_answer_s']} s; SIGTERM to exit {s['stop_s']:.2f} s (exit codes "
              f"{s['exit_codes']}); 'panicked' in logs: {s['log_panics']}"
              + (f"; sync {s['sync']['per_s']:,.0f}/s, max {s['sync']['max_ms']:.1f} ms" if "sync" in s else "")
              + (f"; coherence max {s['coherence']['max_ms']:.1f} ms, polls p50 "
                 f"{s['coherence']['polls_p50']}, max {s['coherence']['polls_max']}"
                 if "coherence" in s else ""))
    r = report["ratios"]
    print()
    print("| setup | async accepted | async completed | sync p50 | sync p99 | coherence lag p50 | coherence lag p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, label, _, _ in SETUPS:
        s = report["setups"][key]
        a, sy, co = s["async"], s.get("sync", {}), s.get("coherence", {})
        if key == "sqlite_1":
            acc, comp = fmt_rate(a["accept_per_s"]), fmt_rate(a["complete_per_s"])
            label += " (baseline)"
        else:
            acc = fmt_rate(a["accept_per_s"], r[key]["accept_vs_sqlite"], "SQLite")
            comp = fmt_rate(a["complete_per_s"], r[key]["complete_vs_sqlite"], "SQLite")
        if key == "pg_2":
            p50 = fmt_ms(sy.get("p50_ms"), r["pg_2"]["sync_p50_vs_1_node"], "1 node")
            p99 = fmt_ms(sy.get("p99_ms"), r["pg_2"]["sync_p99_vs_1_node"], "1 node")
        else:
            p50, p99 = fmt_ms(sy.get("p50_ms")), fmt_ms(sy.get("p99_ms"))
        print(f"| {label} | {acc} | {comp} | {p50} | {p99} | {fmt_ms(co.get('p50_ms'))} | "
              f"{fmt_ms(co.get('p99_ms'))} |")
    # The figures stand, but a node that panicked or did not exit 0 on SIGTERM is a server
    # bug: the run fails (main returns 1) after printing them.
    unclean = [f"{s['label']}: exit codes {s['exit_codes']}, {s['log_panics']} 'panicked' log lines"
               for s in report["setups"].values() if s["log_panics"] or any(s["exit_codes"])]
    if unclean:
        print(f"\nFAIL: nodes did not stop cleanly on SIGTERM (--keep keeps their logs): "
              f"{'; '.join(unclean)}", file=sys.stderr)
    return not unclean


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the wasm-fc binary")
    ap.add_argument("--guests", required=True, help="dir of hostile.wasm")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: tiny counts (N=M=200, 5 samples), a few seconds per scenario")
    ap.add_argument("--pg-url", default=DEFAULT_PG,
                    help=f"an existing database on the PostgreSQL server to use (default {DEFAULT_PG})")
    ap.add_argument("--async-n", type=int, help="async invocations per setup (default 3000; smoke 200)")
    ap.add_argument("--sync-m", type=int, help="sync invocations per setup (default 3000; smoke 200)")
    ap.add_argument("--samples", type=int, help="coherence samples (default 50; smoke 5)")
    ap.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--drain-timeout", type=float,
                    help="seconds after the last 202 for every async invocation to run (default 300; smoke 60)")
    ap.add_argument("--lag-timeout", type=float, default=30,
                    help="seconds node B may take to show an update (default 30)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (node logs, data, events)")
    ap.add_argument("--tmp", help="an empty dir to work in (benches/cluster makes one and removes it "
                                  "on exit unless it holds .keep); default: a new temp dir")
    args = ap.parse_args()
    args.async_n = max(1, min(args.async_n or (200 if args.smoke else 3000), 1_000_000))
    args.sync_m = max(1, min(args.sync_m or (200 if args.smoke else 3000), 1_000_000))
    args.samples = max(1, min(args.samples or (5 if args.smoke else 50), 10_000))
    args.threads = max(1, min(args.threads, 64))
    args.drain_timeout = max(1.0, min(args.drain_timeout or (60.0 if args.smoke else 300.0), 3600.0))
    args.lag_timeout = max(1.0, min(args.lag_timeout, 600.0))

    try:
        pg_version = psql(args.pg_url, "SHOW server_version")
    except PgUnavailable as e:
        print(f"cluster: PostgreSQL unavailable: {e}", file=sys.stderr)
        return 2

    tmp = args.tmp or tempfile.mkdtemp(prefix="wasm-fc-cluster-")

    def on_signal(signum, _frame):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # once: let the clean-up (nodes, databases) run
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        report = {
            "machine": machine_info(pg_version),
            "params": {"binary": args.bin, "smoke": args.smoke, "threads": args.threads,
                       "async_n": args.async_n, "sync_m": args.sync_m, "samples": args.samples},
            "setups": {},
        }
        for key, label, store, count in SETUPS:
            report["setups"][key] = run_setup(args, key, label, store, count, tmp)
        s = report["setups"]
        base = s["sqlite_1"]["async"]
        report["ratios"] = {
            key: {"accept_vs_sqlite": ratio(s[key]["async"]["accept_per_s"], base["accept_per_s"]),
                  "complete_vs_sqlite": ratio(s[key]["async"]["complete_per_s"], base["complete_per_s"])}
            for key in ("pg_1", "pg_2")
        }
        report["ratios"]["pg_2"].update({
            "sync_p50_vs_1_node": ratio(s["pg_2"]["sync"]["p50_ms"], s["pg_1"]["sync"]["p50_ms"]),
            "sync_p99_vs_1_node": ratio(s["pg_2"]["sync"]["p99_ms"], s["pg_1"]["sync"]["p99_ms"]),
        })
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
        return 0 if print_report(report) else 1
    except PgUnavailable as e:
        print(f"cluster: PostgreSQL unavailable: {e}", file=sys.stderr)
        return 2
    except BenchError as e:
        print(f"\nFAIL: {e}", file=sys.stderr)
        return 1
    except (SetupError, *CONN_ERRORS) as e:
        print(f"cluster set-up failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"cluster interrupted ({e})", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            open(os.path.join(tmp, ".keep"), "w").close()
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
