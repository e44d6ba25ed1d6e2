//! wasi:http/proxy components and the CGI convention for commands.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use wasm_fc_engine::{Abi, HttpOutcome};

async fn body_text(outcome: HttpOutcome) -> (u16, http::HeaderMap, String) {
    let response = outcome.response.expect("a response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn request(method: &str, uri: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("x-custom", "yes")
        .header("x-fc-request-id", "spoofed")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

#[tokio::test]
async fn http_hello_echoes_the_request_and_sees_fc_context_headers() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HTTP_HELLO, config("web"));
    assert_eq!(function.abi(), Abi::Http);
    let outcome = function
        .invoke_http(
            request("POST", "/users/1?a=1&b=two%20words", "payload"),
            &ctx("req-http"),
            Some("10.1.2.3".parse().unwrap()),
        )
        .await
        .unwrap();
    let (status, headers, body) = body_text(outcome).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-hello"], "world");
    for expected in [
        "method=POST",
        "path=/users/1",
        "query:a=1",
        "query:b=two words",
        "header:x-custom=yes",
        "body=payload",
        "client_ip=10.1.2.3",
        "request_id=req-http",
        "function=web",
        "header:x-fc-service-name=test-svc",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
    assert!(
        !body.contains("spoofed"),
        "caller x-fc-* headers are dropped:\n{body}"
    );
}

#[tokio::test]
async fn http_instances_are_reused_and_status_codes_pass_through() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HTTP_HELLO, config("web"));
    let first = function
        .invoke_http(request("PUT", "/created", ""), &ctx("a"), None)
        .await
        .unwrap();
    assert!(first.cold_start);
    let finished = first.finished;
    let (status, _, _) = body_text(HttpOutcome {
        response: first.response,
        cold_start: true,
        finished: tokio::sync::oneshot::channel().1,
    })
    .await;
    assert_eq!(status, 201);
    let record = finished.await.unwrap();
    assert!(record.result.is_ok());
    let second = function
        .invoke_http(request("GET", "/", ""), &ctx("b"), None)
        .await
        .unwrap();
    assert!(
        !second.cold_start,
        "the warm instance served the second request"
    );
}

#[tokio::test]
async fn an_event_invocation_of_an_http_function_posts_to_invoke() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HTTP_HELLO, config("web"));
    let outcome = invoke(&function, "the event").await;
    let text = ok_text(&outcome);
    assert!(
        text.contains("method=POST")
            && text.contains("path=/invoke")
            && text.contains("body=the event"),
        "{text}"
    );
}

#[tokio::test]
async fn http_on_an_event_function_is_a_clear_error() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("events"));
    let err = function
        .invoke_http(request("GET", "/", ""), &ctx("x"), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("event handler"), "{err}");
}

#[tokio::test]
async fn a_command_serves_http_through_cgi() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::COMMAND_ECHO, config("cgi"));
    let outcome = function
        .invoke_http(request("DELETE", "/item/7?force=1", "bye"), &ctx("c"), None)
        .await
        .unwrap();
    let (status, headers, body) = body_text(outcome).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-cgi"], "yes");
    assert_eq!(body, "DELETE /item/7 ?force=1 bye");
}
