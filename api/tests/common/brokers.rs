//! The real brokers of the broker tests: RabbitMQ at 127.0.0.1:5672
//! (guest/guest), managed with `rabbitmqctl` and driven with pika
//! (`tests/python/amqp_client.py`); Mosquitto at 127.0.0.1:1883, driven with
//! `mosquitto_pub`. Each test makes its own vhost or topic and removes it.
//! Without a broker a test prints one loud skip line, and
//! `WASM_FC_REQUIRE_SERVICES=1` turns that into a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub const AMQP_BROKER: &str = "local=amqp://guest:guest@127.0.0.1:5672";
pub const MQTT_BROKER: &str = "iot=mqtt://127.0.0.1:1883";

/// Whether `port` on loopback answers; if not, the skip line (or, with
/// `WASM_FC_REQUIRE_SERVICES=1`, a failure).
pub fn available(what: &str, port: u16, test: &str) -> bool {
    match TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    ) {
        Ok(_) => true,
        Err(e) => {
            super::skip(test, &format!("no {what} at 127.0.0.1:{port} ({e})"));
            false
        }
    }
}

/// Serializes RabbitMQ's restart against the other RabbitMQ tests of this binary.
pub static RABBIT: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn rabbitmqctl(args: &[&str]) -> String {
    let output = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl (the RabbitMQ tests manage vhosts with it)");
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A vhost of this test's own, deleted on drop.
pub struct Vhost(pub String);

impl Vhost {
    pub fn new(test: &str) -> Self {
        let name = format!("wasm-fc-test-{test}-{}", std::process::id());
        let _ = Command::new("rabbitmqctl")
            .args(["delete_vhost", &name])
            .output();
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        Vhost(name)
    }

    /// Runs one `amqp_client.py` action; its JSON answer.
    pub fn client(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let mut child = Command::new(super::python::venv().join("bin/python"))
            .arg(super::python::script("amqp_client.py"))
            .args(args.iter().take(1))
            .arg(&self.0)
            .args(args.iter().skip(1))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("[]").as_bytes()).unwrap();
        drop(input);
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "amqp_client.py {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub fn declare(&self, queues: &[&str]) {
        let mut args = vec!["declare"];
        args.extend_from_slice(queues);
        self.client(&args, None);
    }

    pub fn publish(&self, queue: &str, bodies: &[String]) {
        self.client(
            &["publish", queue],
            Some(&serde_json::to_string(bodies).unwrap()),
        );
    }

    /// Ready messages in `queue` (unacknowledged ones are not counted).
    pub fn count(&self, queue: &str) -> u64 {
        self.client(&["count", queue], None).as_u64().unwrap()
    }

    /// Takes every ready message of `queue`.
    pub fn take(&self, queue: &str) -> Vec<String> {
        serde_json::from_value(self.client(&["get", queue], None)).unwrap()
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.0])
            .output();
    }
}

/// Stops RabbitMQ's application and starts it again on drop (even when
/// the test fails), so the broker is never left down.
pub struct RabbitStopped;

impl RabbitStopped {
    pub fn stop() -> Self {
        rabbitmqctl(&["stop_app"]);
        RabbitStopped
    }
}

impl Drop for RabbitStopped {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").output();
        let _ = Command::new("rabbitmqctl").args(["await_startup"]).output();
    }
}

/// Publishes `body` to `topic` with `mosquitto_pub` at QoS 1.
pub fn mqtt_publish(topic: &str, body: &str) {
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            body,
        ])
        .status()
        .expect("mosquitto_pub (Debian's mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed");
}

/// An HTTP server on a free loopback port that keeps the body of every PUT
/// or POST: where a function reports what it ran, outside the platform.
pub struct Sink {
    pub url: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/sink", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let kept = kept.clone();
                std::thread::spawn(move || serve(stream, &kept));
            }
        });
        Sink { url, bodies }
    }

    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Serves HTTP/1.1 requests on one connection, keeping each body.
fn serve(stream: TcpStream, kept: &Mutex<Vec<String>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        kept.lock()
            .unwrap()
            .push(String::from_utf8_lossy(&body).into_owned());
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}
