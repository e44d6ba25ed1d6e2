//! nginx from Debian as the load balancer in front of several nodes, as
//! docs/many-nodes.md configures it: round robin, the Host header passed
//! through (FC signatures and HTTP-trigger routing read it), WebSocket
//! upgrades passed on, bodies up to 100 MB (code zips).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nginx; stopped on drop.
pub struct Nginx {
    child: Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// The upstreams (`host:port`) nginx sent requests to so far.
    pub fn upstreams_used(&self) -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(self._dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .flat_map(|line| line.split(", "))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Nginx {
    /// Stops nginx with SIGTERM, which its master passes on to its workers (a
    /// SIGKILL would leave them running, holding the port); SIGKILL only if
    /// it is still there after 5 s.
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// SIGTERM to nginx's master, then up to 5 s for it (and so its workers) to
/// exit; SIGKILL after that.
fn stop(master: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &master.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = master.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = master.kill();
    let _ = master.wait();
}

/// The nginx binary, or `None` after one loud line when it is missing and
/// services are not required (`WASM_FC_REQUIRE_SERVICES=1` makes that a failure).
fn binary(test: &str) -> Option<PathBuf> {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if std::path::Path::new(candidate).is_file() {
            return Some(candidate.into());
        }
    }
    assert!(
        std::env::var("WASM_FC_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{test}: nginx is required (apt-get install nginx-light)"
    );
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: no nginx (apt-get install nginx-light) \
         (WASM_FC_REQUIRE_SERVICES=1 makes this a failure)"
    );
    None
}

/// nginx on a free loopback port, balancing over `upstreams` (`http://host:port`).
pub fn start(test: &str, upstreams: &[&str]) -> Option<Nginx> {
    let nginx = binary(test)?;
    // nginx cannot bind port 0 and report it: take a free port, and retry on
    // the rare race with another process taking it first.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir = tempfile::tempdir().expect("a temp dir");
        let servers: String = upstreams
            .iter()
            .map(|u| format!("        server {};\n", u.trim_start_matches("http://")))
            .collect();
        let tmp = dir.path().display();
        let conf = format!(
            "worker_processes 1;\n\
             pid {tmp}/nginx.pid;\n\
             error_log stderr warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
                 log_format upstream '$upstream_addr';\n\
                 access_log {tmp}/access.log upstream;\n\
                 client_body_temp_path {tmp}/body;\n\
                 proxy_temp_path {tmp}/proxy;\n\
                 fastcgi_temp_path {tmp}/fastcgi;\n\
                 uwsgi_temp_path {tmp}/uwsgi;\n\
                 scgi_temp_path {tmp}/scgi;\n\
                 upstream wasm_fc {{\n{servers}        keepalive 32;\n    }}\n\
                 server {{\n\
                     listen 127.0.0.1:{port};\n\
                     client_max_body_size 100m;\n\
                     location / {{\n\
                         proxy_pass http://wasm_fc;\n\
                         proxy_http_version 1.1;\n\
                         proxy_set_header Host $http_host;\n\
                         proxy_set_header Upgrade $http_upgrade;\n\
                         proxy_set_header Connection $connection_upgrade;\n\
                         proxy_read_timeout 300s;\n\
                     }}\n\
                 }}\n\
                 map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}\n\
             }}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let mut child = Command::new(&nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off; user root;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn nginx");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break; // did not start (the port was taken): try another
            }
            if ureq::get(&format!("{endpoint}/healthz")).call().is_ok() {
                return Some(Nginx {
                    child,
                    endpoint,
                    _dir: dir,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        stop(&mut child);
    }
    panic!("nginx did not start");
}
