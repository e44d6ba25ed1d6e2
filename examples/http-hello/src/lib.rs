//! HTTP hello: echoes the method, path, query, headers and body as text, one
//! `key=value` per line. `/status/<code>` answers with that status, `/panic` fails,
//! `/spin` runs until its timeout.
//! As a WebSocket function (wasm-fc's `x-fc-websocket-event` contract) it greets on
//! connect, echoes each message as `echo: <message>`, and refuses `/ws-refuse`.

use wasm_fc_guest::{Context, Request, Response};

fn handler(req: Request, resp: &mut Response, ctx: &Context) {
    match req.header("x-fc-websocket-event") {
        Some("connect") if req.path == "/ws-refuse" => {
            resp.set_status_code(403);
            resp.send("no WebSocket here");
            return;
        }
        Some("connect") => {
            resp.send("hello from http-hello");
            return;
        }
        Some("message") => {
            let mut echo = b"echo: ".to_vec();
            echo.extend_from_slice(&req.body);
            resp.send(echo);
            return;
        }
        Some(_) => return resp.send(""),
        None => {}
    }
    if req.path == "/panic" {
        panic!("http-hello panicked on purpose");
    }
    if req.path == "/spin" {
        loop {
            std::hint::spin_loop(); // runs until the platform's timeout stops it
        }
    }
    if let Some(code) = req.path.strip_prefix("/status/") {
        resp.set_status_code(code.parse().unwrap_or(500));
        resp.send(format!("status {code}"));
        return;
    }
    let mut out = format!(
        "method={}\npath={}\nurl={}\nclient_ip={}\nrequest_id={}\nfunction={}\n",
        req.method, req.path, req.url, req.client_ip, ctx.request_id, ctx.function.name
    );
    for (k, v) in &req.queries {
        out.push_str(&format!("query:{k}={v}\n"));
    }
    for (k, v) in &req.headers {
        out.push_str(&format!("header:{k}={v}\n"));
    }
    out.push_str(&format!("body_bytes={}\n", req.body.len()));
    out.push_str(&format!("body={}\n", String::from_utf8_lossy(&req.body)));
    resp.set_status_code(if req.path == "/created" { 201 } else { 200 });
    resp.set_header("content-type", "text/plain");
    resp.set_header("x-hello", "world");
    // Headers FC reserves: the platform must drop these.
    resp.set_header("x-fc-spoofed", "1");
    resp.set_header("server", "http-hello");
    resp.send(out);
}

wasm_fc_guest::export_http_handler!(handler);
