"""Ground truth for the fake's trailing-slash redirects (redirects.json).

Runs Starlette's own Router (redirect_slashes, URL(scope=...), RedirectResponse) on
raw request targets, with the ASGI scope built as uvicorn builds it (the path is
urllib.parse.unquote of the raw path, the query string the raw bytes after "?"), and
records status and Location. Starlette is not installable here, so its source is
read from a checkout given as the first argument; anyio is stubbed, for the redirect
never reaches it.

    python3 mock/testdata/reference/redirects.py STARLETTE_CHECKOUT > mock/testdata/reference/redirects.json

The committed file was made from encode/starlette at 0.47.3 with CPython 3.11.7.
"""
import asyncio, json, sys, types
from urllib.parse import unquote

for name in ["anyio", "anyio.to_thread", "anyio.abc", "anyio.streams", "anyio.streams.memory"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["anyio"].to_thread = sys.modules["anyio.to_thread"]
sys.path.insert(0, sys.argv[1])
import starlette  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route, Router  # noqa: E402

ID = "6650a1f2c3d4e5f6a7b8c901"
P = "/v1/phone-numbers/"

# (rule, method, raw request target); every target is one Go's server accepts.
CASES = [
    ("one trailing slash is stripped", "PATCH", P + ID + "/"),
    ("every trailing slash is stripped", "PATCH", P + ID + "//"),
    ("every trailing slash is stripped", "PATCH", P + ID + "///?x=1"),
    ("the path is decoded first: an encoded slash is a slash", "PATCH", P + ID + "%2F/"),
    ("the path is decoded first: an encoded slash is a slash", "PATCH", P + ID + "%2F"),
    ("the path is decoded first: an encoded slash is a slash", "PATCH", P + ID + "%2F%2f/"),
    ("a path that still matches nothing is a 404", "PATCH", P + "a%2Fb/"),
    ("a path that still matches nothing is a 404", "PATCH", P + "/"),
    ("a path that still matches nothing is a 404", "PATCH", P),
    ("any method is redirected", "GET", P + ID + "/"),
    ("any method is redirected", "DELETE", P + ID + "//?a=1"),
    ("the decoded path is quoted again: ? is safe", "PATCH", P + "x%3F/"),
    ("the decoded path is quoted again: ! is safe", "PATCH", P + "x!/"),
    ("the decoded path is quoted again: sub-delims are safe", "PATCH", P + "$&'()*+,;=:@[]/"),
    ("the decoded path is quoted again: % is safe, so %25 comes back as %", "PATCH", P + "%2541/"),
    ("the decoded path is quoted again: % is safe, so %25 comes back as %", "PATCH", P + "%25zz/"),
    ("the decoded path is quoted again: unreserved letters stay", "PATCH", P + "~a_b.c-d/"),
    ("the decoded path is quoted again: other ASCII is escaped", "PATCH", P + "a\"<>\\^`|{}/"),
    ("the decoded path is quoted again: a space is %20", "PATCH", P + "a%20b/"),
    ("the decoded path is quoted again: # is safe", "PATCH", P + "a%23b/"),
    ("the decoded path is quoted again: UTF-8 in upper-case hex", "PATCH", P + "%c3%a9%F0%9F%98%80/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%E2%82/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%FF%FE/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%E2%82%41/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%ED%A0%80/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%F0%9F%98/"),
    ("invalid UTF-8 decodes to U+FFFD per maximal subpart", "PATCH", P + "%C0%AF%F4%90%80%80/"),
    ("the raw query follows, quoted with the same safe set", "PATCH", P + ID + "/?a={b}"),
    ("the raw query follows, quoted with the same safe set", "PATCH", P + ID + "/?a=%2F%3F[]|&b=c+d"),
    ("the raw query follows, quoted with the same safe set", "PATCH", P + ID + "/?%C3%A9=%E2%82%AC&x=%zz"),
    ("the raw query follows, quoted with the same safe set", "PATCH", P + ID + "/?a=\u00e9\"<>"),
    ("an empty query is left out", "PATCH", P + ID + "/?"),
    ("a query that is not UTF-8 fails in Starlette: plain-text 500", "PATCH", P + ID + "/?a=\udcff"),
]


async def ok(request):
    return Response("")


ROUTER = Router(routes=[Route("/v1/phone-numbers/{phone_number_id}", ok, methods=["PATCH"])])


def run(method, target):
    raw_path, _, query = target.partition(b"?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "server": ("127.0.0.1", 8080), "root_path": "",
             "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path, "query_string": query,
             "headers": [(b"host", b"verbex-mock")]}
    out = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg):
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
            for k, v in msg["headers"]:
                if k == b"location":
                    out["location"] = v.decode("latin-1")
    try:
        asyncio.run(ROUTER(scope, receive, send))
    except UnicodeDecodeError:
        out = {"status": 500}  # ServerErrorMiddleware
    return out


cases = []
for rule, method, target in CASES:
    raw = target.encode("utf-8", "surrogateescape")
    got = run(method, raw)
    if got["status"] == 200:
        got["status"] = 0  # not a redirect: the route itself answers
    cases.append({"rule": rule, "method": method, "target": raw.decode("latin-1"), **got})
json.dump({"starlette": starlette.__version__, "python": sys.version.split()[0], "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
print()
