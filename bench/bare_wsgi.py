"""Bench-only: gunicorn's own cost a request. A WSGI application that reads the body and
answers a fixed JSON object, served as the IdP is (one sync worker on CPU 0), under the
refresh scenario's load: what no code of ours can make cheaper."""

BODY = b'{"access_token":"","token_type":"Bearer"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", HEADERS)
    return [BODY]
