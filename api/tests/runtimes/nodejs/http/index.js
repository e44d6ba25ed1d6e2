exports.handler = (req, resp, context) => {
  console.log(req.body.toString());
  resp.setHeader('Content-Type', 'text/plain');
  resp.send('<h1>Hello, world!</h1>');
};
