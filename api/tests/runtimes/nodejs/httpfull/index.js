exports.handler = (req, resp, context) => {
  resp.setStatusCode(202);
  resp.setHeader('X-Answer', 'node');
  resp.setHeader('X-Removed', 'gone');
  resp.deleteHeader('X-Removed');
  resp.setHeader('Content-Type', 'application/json');
  resp.send(Buffer.from(JSON.stringify({
    path: req.path,
    queries: req.queries,
    method: req.method,
    header: req.headers['x-custom'],
    clientIP: req.clientIP,
    url: req.url,
    body: req.body.toString(),
    isBuffer: Buffer.isBuffer(req.body),
    requestId: context.requestId,
  })));
};
