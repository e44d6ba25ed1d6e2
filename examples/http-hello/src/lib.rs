//! HTTP hello: echoes the method, path, query, headers and body as JSON-ish text.

use wasm_fc_guest::{Context, Request, Response};

fn handler(req: Request, resp: &mut Response, ctx: &Context) {
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
    out.push_str(&format!("body={}\n", String::from_utf8_lossy(&req.body)));
    resp.set_status_code(if req.path == "/created" { 201 } else { 200 });
    resp.set_header("content-type", "text/plain");
    resp.set_header("x-hello", "world");
    resp.send(out);
}

wasm_fc_guest::export_http_handler!(handler);
