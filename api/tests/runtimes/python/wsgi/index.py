# FC's Python HTTP handler form: a WSGI application.
import json


def handler(environ, start_response):
    context = environ["fc.context"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "header": environ.get("HTTP_X_CUSTOM"),
        "content_type": environ.get("CONTENT_TYPE"),
        "body": body.decode(),
        "request_uri": environ["fc.request_uri"],
        "client": environ["REMOTE_ADDR"],
        "request_id": context.request_id,
    }
    start_response("201 Created", [("Content-Type", "application/json"), ("X-Answer", "wsgi")])
    return [json.dumps(answer).encode()]
