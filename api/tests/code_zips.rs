//! Code zips on the real `wasm-fc run`: concurrent deploys of one new zip, and
//! zips whose entries cannot be unpacked (the user's input: 400, naming the
//! entry), with nothing half-written left in the data dir either way.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use serde_json::json;

/// CreateFunction of a `custom` function from a base64 zip; the reply is the caller's.
fn create(s: &Server, svc: &str, name: &str, zip: &str) -> Reply {
    let body = json!({
        "functionName": name, "runtime": "custom", "handler": "index.handler",
        "code": { "zipFile": zip },
    });
    call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        body.to_string().as_bytes(),
    )
}

/// Names in the data dir's `code/` that are staging dirs or temp files.
fn leftovers(s: &Server) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(s.data_dir.join("code")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".unpacking") || name.contains(".tmp"))
        .collect()
}

fn guest() -> Vec<u8> {
    wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO)
}

#[test]
fn twelve_concurrent_deploys_of_one_new_zip_all_succeed() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    create_service(&s, "zips", json!({}));
    // A zip no one stored yet, with a few directories to unpack.
    let zip = zip_files(&[
        ("index.wasm".to_string(), guest()),
        ("lib/a/one.txt".to_string(), b"1".to_vec()),
        ("lib/b/two.txt".to_string(), b"2".to_vec()),
        ("static/index.html".to_string(), b"<p>hi</p>".to_vec()),
    ]);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..12)
            .map(|i| {
                let (s, zip) = (&s, &zip);
                scope.spawn(move || create(s, "zips", &format!("f{i}"), zip))
            })
            .collect();
        callers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.status, 200, "f{i}: {}", reply.text());
    }
    let digests: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            r.json()["codeChecksum"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(digests.len(), 1, "one package: {digests:?}");
    assert_eq!(leftovers(&s), Vec::<String>::new());
    // Each of them runs.
    for i in [0, 11] {
        ok(call(
            &s,
            "POST",
            &format!("{P}/services/zips/functions/f{i}/invocations"),
            &[],
            b"{}",
        ));
    }
}

#[test]
fn zips_that_cannot_be_unpacked_are_400_and_leave_nothing_behind() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    create_service(&s, "zips", json!({}));
    let long_name = "n".repeat(300);
    let cases = [
        (
            "a name over 255 bytes",
            vec![(long_name.clone(), b"x".to_vec())],
            long_name.as_str(),
        ),
        (
            "a file and a file under it",
            vec![
                ("a".to_string(), b"1".to_vec()),
                ("a/b".to_string(), b"2".to_vec()),
            ],
            "a/b",
        ),
        (
            "the same file twice",
            vec![
                ("data.txt".to_string(), b"1".to_vec()),
                ("./data.txt".to_string(), b"2".to_vec()),
            ],
            "./data.txt",
        ),
    ];
    for (i, (what, files, entry)) in cases.into_iter().enumerate() {
        let mut files = files;
        files.insert(0, ("index.wasm".to_string(), guest()));
        let reply = create(&s, "zips", &format!("bad{i}"), &zip_files(&files));
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["ErrorCode"], "InvalidArgument", "{what}: {body}");
        let message = body["ErrorMessage"].as_str().unwrap_or_default();
        assert!(
            message.contains(&entry[..entry.len().min(32)]),
            "{what}: the message names the entry: {message}"
        );
        assert_eq!(leftovers(&s), Vec::<String>::new(), "{what}");
    }
}
