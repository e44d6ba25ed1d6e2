//! Deny by default: each test has a hostile guest try one thing and proves the
//! denial, and (where there is an allow switch) that allowing it works.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasm_fc_engine::Preopen;

fn with_dirs(h: &Harness) -> wasm_fc_engine::FunctionConfig {
    let code = h.dir.path().join("code");
    let nas = h.dir.path().join("nas");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::create_dir_all(&nas).unwrap();
    std::fs::write(code.join("data.txt"), "from the code dir").unwrap();
    let mut cfg = config("sandbox");
    cfg.preopens = vec![
        Preopen {
            host_path: code,
            guest_path: "/code".into(),
            writable: false,
        },
        Preopen {
            host_path: nas,
            guest_path: "/mnt/nas".into(),
            writable: true,
        },
    ];
    cfg
}

#[tokio::test]
async fn host_files_outside_the_preopens_are_invisible() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, with_dirs(&h));
    let passwd = ok_text(&invoke(&function, "read:/etc/passwd").await);
    assert!(passwd.starts_with("denied:"), "{passwd}");
    let escape = ok_text(&invoke(&function, "read:/code/../../../../etc/passwd").await);
    assert!(escape.starts_with("denied:"), "{escape}");
    let root = ok_text(&invoke(&function, "list:/").await);
    assert!(!root.contains("etc") && !root.contains("proc"), "{root}");
    assert_eq!(
        ok_text(&invoke(&function, "read:/code/data.txt").await),
        "read ok: from the code dir"
    );
}

#[tokio::test]
async fn the_code_dir_is_read_only_and_mounts_are_writable() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, with_dirs(&h));
    let code_write = ok_text(&invoke(&function, "write:/code/pwned.txt").await);
    assert!(code_write.starts_with("denied:"), "{code_write}");
    assert!(!h.dir.path().join("code/pwned.txt").exists());
    assert_eq!(
        ok_text(&invoke(&function, "write:/mnt/nas/out.txt").await),
        "write ok"
    );
    assert_eq!(
        std::fs::read_to_string(h.dir.path().join("nas/out.txt")).unwrap(),
        "pwned"
    );
}

#[tokio::test]
async fn a_missing_mount_is_a_clear_deploy_error() {
    let h = harness();
    let mut cfg = config("missing");
    cfg.preopens = vec![Preopen {
        host_path: h.dir.path().join("nope"),
        guest_path: "/mnt/x".into(),
        writable: true,
    }];
    let err = h
        .engine
        .deploy(
            &wasm_fc_test_guests::bytes(wasm_fc_test_guests::HOSTILE),
            cfg,
        )
        .unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[tokio::test]
async fn the_environment_is_exactly_what_was_given() {
    // SAFETY-free way to prove host env does not leak: the test process has PATH/HOME.
    assert!(std::env::var("PATH").is_ok());
    let h = harness();
    let mut cfg = config("env");
    cfg.environment.insert("ONLY_THIS".into(), "yes".into());
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let env = ok_text(&invoke(&function, "env").await);
    let names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k)
        .collect();
    assert!(names.contains(&"ONLY_THIS"));
    assert!(
        names
            .iter()
            .all(|n| *n == "ONLY_THIS" || n.starts_with("FC_")),
        "unexpected variables: {names:?}"
    );
    assert!(
        env.contains("FC_FUNCTION_NAME=env") && env.contains("FC_SERVICE_NAME=test-svc"),
        "{env}"
    );
    assert!(
        names.contains(&"FC_INSTANCE_ID"),
        "the instance id is set per instance: {env}"
    );
    for per_call in ["FC_REQUEST_ID", "FC_QUALIFIER", "FC_VERSION_ID"] {
        assert!(
            !names.contains(&per_call),
            "{per_call} is per invocation and belongs in the context, not a warm instance's env: {env}"
        );
    }
    assert!(
        !names.contains(&"FC_FUNCTION_INITIALIZER"),
        "no initializer configured: an empty variable is left out: {env}"
    );
}

/// A one-shot TCP server on loopback that answers `pong` (or an HTTP 200).
async fn local_server(http: bool) -> (std::net::SocketAddr, tokio::task::JoinHandle<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let Ok(Ok((mut socket, _))) =
            tokio::time::timeout(Duration::from_secs(5), listener.accept()).await
        else {
            return false;
        };
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let reply: &[u8] = if http {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
        } else {
            b"pong"
        };
        let _ = socket.write_all(reply).await;
        true
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_need_internet_access() {
    let h = harness();
    let (addr, server) = local_server(false).await;
    let denied = h.deploy(wasm_fc_test_guests::HOSTILE, config("no-net"));
    let text = ok_text(&invoke(&denied, &format!("connect:{addr}")).await);
    assert!(text.starts_with("denied:"), "{text}");

    let mut cfg = config("net");
    cfg.internet_access = true;
    let allowed = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let text = ok_text(&invoke(&allowed, &format!("connect:{addr}")).await);
    assert_eq!(text, "connect ok: pong");
    assert!(
        server.await.unwrap(),
        "only the allowed guest reached the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_http_needs_internet_access() {
    let h = harness();
    let (addr, server) = local_server(true).await;
    let denied = h.deploy(wasm_fc_test_guests::HOSTILE, config("no-http"));
    let text = ok_text(&invoke(&denied, &format!("http:http://{addr}/")).await);
    assert!(
        text.contains("denied") && text.contains("HttpRequestDenied"),
        "{text}"
    );

    let mut cfg = config("http");
    cfg.internet_access = true;
    let allowed = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let text = ok_text(&invoke(&allowed, &format!("http:http://{addr}/")).await);
    assert_eq!(text, "http ok: 200");
    assert!(server.await.unwrap());
}
