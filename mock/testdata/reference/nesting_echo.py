"""Ground truth for the echo of a deeply nested value in a 422 (nesting_echo.json).

When every branch of the union fails, FastAPI's 422 echoes the value that failed in
each error's "input": the whole body when it is not an object, else the field's
value. CPython's json.dumps (its C encoder, called by Starlette's JSONResponse)
spends one level of the interpreter's recursion limit for each array or object it
opens, like json.loads does, and the 422's own {"detail":[{…"input":…}]} sits on a
deeper stack than json.loads did. So a body can nest deeply enough for json.loads to
parse it but not for its echo to be encoded: RecursionError, Starlette's plain-text
500, and uvicorn closes the connection.

This script runs the real components: FastAPI with the document's PATCH endpoint (its
body the union of the three update models), served by uvicorn (h11, asyncio) on
127.0.0.1. It sends bodies of many shapes over raw sockets at every depth around the
limits and records status, headers (date and server blanked), body, how the
connection ended ("eof" or "open") and, for a 500, the error uvicorn logged.

How deep json.loads gets depends on the frames below it, which differ between uvicorn
versions and event loops; the service parses 968 levels (pyjson.MaxDepth, measured
against it). The script first measures how deep plain arrays parse under the
interpreter's default limit (1000), then restarts the server with the limit raised by
the difference, which is the same as a stack that many frames shallower: arrays then
parse exactly 968 levels, as in the service, and every other boundary moves with them
(decoding and encoding run on the same stack). The recorded bodies are therefore the
bytes the fake must answer alike.

    PYTHONPATH=FASTAPI_STARLETTE_DIR:PYENV_SITE_PACKAGES:/usr/lib/python3/dist-packages \\
        python3.11 mock/testdata/reference/nesting_echo.py > mock/testdata/reference/nesting_echo.json

FASTAPI_STARLETTE_DIR holds the packages fastapi, starlette and annotated_doc; pydantic
2 and typing_extensions come from the site-packages before Debian's (uvicorn, h11,
anyio, click). The versions used are written into the JSON.
"""
import json, os, re, socket, subprocess, sys, tempfile, time

import fastapi, h11, pydantic, starlette, uvicorn

SERVICE_DEPTH = 968  # pyjson.MaxDepth: how deep the service's json.loads parses
TARGET = b"/v1/phone-numbers/000000000000000000000000"  # no such number: a valid body is a 404
SWEEP = range(SERVICE_DEPTH - 20, SERVICE_DEPTH + 2)  # depths tried, twice, to find the bands
RECORD = range(SERVICE_DEPTH - 5, SERVICE_DEPTH + 2)  # depths recorded as cases: the last 422s, the 500s, the 400

APP = '''
import os, sys
from typing import Optional, Union
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

sys.setrecursionlimit(int(os.environ["RECURSION_LIMIT"]))


class UpdateSIPPhoneNumberRequest(BaseModel):
    friendly_name: Optional[str] = None
    inbound_agent_id: Optional[str] = None
    outbound_agent_id: Optional[str] = None
    sip_termination_uri: Optional[str] = None
    sip_trunk_username: Optional[str] = None
    sip_trunk_password: Optional[str] = None


class UpdatePiaPhoneNumberRequest(BaseModel):
    friendly_name: Optional[str] = None
    inbound_agent_id: Optional[str] = None
    outbound_agent_id: Optional[str] = None


class UpdateTwilioPhoneNumberRequest(BaseModel):
    friendly_name: Optional[str] = None
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    inbound_agent_id: Optional[str] = None
    outbound_agent_id: Optional[str] = None


app = FastAPI(title="Verbex Platform API")


@app.patch("/v1/phone-numbers/{phone_number_id}")
async def update_phone_number(phone_number_id: str, update_data: Union[
        UpdateSIPPhoneNumberRequest, UpdatePiaPhoneNumberRequest, UpdateTwilioPhoneNumberRequest]):
    # No number exists: the fake's 404 for an unknown id, so that valid bodies compare too.
    return JSONResponse(status_code=404, content={"error": "phone_number_not_found",
                                                  "message": f"Phone number with id '{phone_number_id}' was not found."})
'''


def nest(head, open_, leaf, close, tail, times):
    return {"head": head, "open": open_, "times": times, "leaf": leaf, "close": close, "tail": tail}


def alternating(n):
    # [{"a":[{"a":…1…}]}]: n containers, an array outermost; an odd n ends in [1].
    return nest("", '[{"a":', "1" if n % 2 == 0 else "[1]", "}]", "", n // 2)


# Each shape gives, for a depth n (every array and object of the body counted), the
# body as head + open*times + leaf + close*times + tail.
SHAPES = [
    ("the whole body, arrays", "the body, in every branch", lambda n: nest("", "[", "", "]", "", n)),
    ("the whole body, arrays around a string", "the body, in every branch", lambda n: nest("", "[", '"x"', "]", "", n)),
    ("the whole body, objects in an array", "the body, in every branch", lambda n: nest("[", '{"a":', "{}", "}", "]", n - 2)),
    ("the whole body, arrays and objects alternating", "the body, in every branch", alternating),
    ("a field every branch declares, arrays", "the field's value, in every branch",
     lambda n: nest('{"friendly_name":', "[", "", "]", "}", n - 1)),
    ("a field every branch declares, objects around a number", "the field's value, in every branch",
     lambda n: nest('{"inbound_agent_id":', '{"a":', "1", "}", "}", n - 1)),
    ("a field every branch declares, arrays beside a number in a list", "the field's value, in every branch",
     lambda n: nest('{"outbound_agent_id":[1,', "[", "", "]", "]}", n - 2)),
    ("a SIP field, every branch failing on friendly_name", "the field's value, in the SIP branch only",
     lambda n: nest('{"friendly_name":1,"sip_trunk_username":', "[", "", "]", "}", n - 1)),
    ("a SIP field before friendly_name, every branch failing", "the field's value, in the SIP branch only",
     lambda n: nest('{"sip_termination_uri":', '{"a":', "{}", "}", ',"friendly_name":1}', n - 2)),
    ("a Twilio field, every branch failing on friendly_name", "the field's value, in the Twilio branch only",
     lambda n: nest('{"friendly_name":1,"twilio_auth_token":', "[", "", "]", "}", n - 1)),
    ("a field no branch declares, every branch failing on friendly_name", "not echoed: the 422 names friendly_name only",
     lambda n: nest('{"friendly_name":1,"zzz":', "[", "", "]", "}", n - 1)),
    ("a SIP field alone: the Pia branch passes", "not echoed: the body is valid",
     lambda n: nest('{"sip_trunk_username":', "[", "", "]", "}", n - 1)),
    ("the whole body, objects no branch declares", "not echoed: the body is valid",
     lambda n: nest("", '{"a":', "{}", "}", "", n - 1)),
]


def body_of(recipe):
    r = recipe
    return (r["head"] + r["open"] * r["times"] + r["leaf"] + r["close"] * r["times"] + r["tail"]).encode()


def depth_of(body):
    """How deep the body's arrays and objects nest (its strings hold no brackets)."""
    deepest = level = 0
    for c in body.decode():
        if c in "[{":
            level += 1
            deepest = max(deepest, level)
        elif c in "]}":
            level -= 1
    return deepest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exchange(port, body):
    """Sends one PATCH on a fresh connection; the answer (date and server blanked) and
    how the connection ended: "eof" if the server closed it after the answer, else "open"."""
    raw = (b"PATCH " + TARGET + b" HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(raw)
    s.settimeout(5)
    data = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                return blank(data), "eof"
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            m = re.search(rb"(?im)^content-length: *(\d+)", head)
            if sep and m and len(rest) >= int(m.group(1)):
                break
        s.settimeout(0.3)
        try:
            end = "eof" if s.recv(1) == b"" else "more"
        except socket.timeout:
            end = "open"
        except ConnectionResetError:
            end = "eof"
        return blank(data), end
    finally:
        s.close()


def blank(answer):
    return re.sub(rb"(?im)^(date|server): [^\r]*", rb"\1: -", answer)


def status(answer):
    return int(answer.split(b" ", 2)[1])


class Server:
    def __init__(self, limit, appdir):
        self.port = free_port()
        env = dict(os.environ, RECURSION_LIMIT=str(limit))
        # uvicorn logs an unhandled error before it closes the connection; the log says
        # which error it was.
        log = os.path.join(appdir, f"uvicorn-{limit}.log")
        self.log = open(log, "w")
        self.reader = open(log)  # its own offset: the server's writes move the other's
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "refapp:app", "--port", str(self.port),
                                      "--http", "h11", "--loop", "asyncio", "--log-level", "error"],
                                     cwd=appdir, env=env, stderr=self.log)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                time.sleep(0.05)
        # Warm the interpreter up (its specializing of hot code) as a running service is.
        for n in (1, 2, 10, 100, 900):
            for _ in range(5):
                exchange(self.port, body_of(SHAPES[0][2](n)))

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        self.reader.close()

    def errors(self):
        """The errors uvicorn logged since the last call, by their last line."""
        text = self.reader.read()
        return re.findall(r"(?m)^[A-Za-z]*Error: .*$", text)


def deepest_parsed(port):
    """The deepest plain array body json.loads parses (anything but FastAPI's 400)."""
    lo, hi = 1, 1200
    while lo < hi:
        m = (lo + hi + 1) // 2
        if status(exchange(port, body_of(SHAPES[0][2](m)))[0]) != 400:
            lo = m
        else:
            hi = m - 1
    return lo


def bands(statuses):
    """{depth: status} as "948-963 422, 964-968 500, 969 400"."""
    out, start, prev = [], None, None
    for n in sorted(statuses) + [None]:
        s = statuses.get(n)
        if prev is not None and (n is None or s != statuses[prev] or n != prev + 1):
            out.append((f"{start}" if start == prev else f"{start}-{prev}") + f" {statuses[prev]}")
            start = None
        if start is None:
            start = n
        prev = n
    return ", ".join(out)


def main():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "refapp.py"), "w") as f:
            f.write(APP)
        server = Server(1000, d)
        try:
            default_depth = deepest_parsed(server.port)
        finally:
            server.stop()
        limit = 1000 + SERVICE_DEPTH - default_depth
        server = Server(limit, d)
        try:
            if deepest_parsed(server.port) != SERVICE_DEPTH:
                sys.exit("the raised recursion limit does not give the service's depth")
            shapes, cases = [], []
            for name, echo, make in SHAPES:
                seen = [{}, {}]
                for sweep in seen:
                    for n in SWEEP:
                        body = body_of(make(n))
                        assert depth_of(body) == n, (name, n, depth_of(body))
                        sweep[n] = status(exchange(server.port, body)[0])
                if seen[0] != seen[1]:
                    sys.exit(f"{name}: two sweeps differ: {bands(seen[0])} / {bands(seen[1])}")
                shapes.append({"shape": name, "echo": echo, "bands": bands(seen[0])})
                server.errors()
                for n in RECORD:
                    recipe = make(n)
                    answer, end = exchange(server.port, body_of(recipe))
                    if status(answer) != seen[0][n]:
                        sys.exit(f"{name} at {n}: {status(answer)}, the sweeps said {seen[0][n]}")
                    case = {"shape": name, "depth": n, "body": recipe, "answer": answer.decode("utf-8"), "end": end}
                    errors = server.errors()
                    if len(errors) != (status(answer) == 500):
                        sys.exit(f"{name} at {n}: {status(answer)} with the errors {errors}")
                    if errors:
                        case["error"] = errors[0]
                    cases.append(case)
        finally:
            server.stop()
    json.dump({"python": sys.version.split()[0], "fastapi": fastapi.__version__, "starlette": starlette.__version__,
               "pydantic": pydantic.VERSION, "uvicorn": uvicorn.__version__, "h11": h11.__version__,
               "default_recursion_limit_depth": default_depth, "recursion_limit": limit,
               "service_depth": SERVICE_DEPTH, "target": TARGET.decode(), "shapes": shapes, "cases": cases},
              sys.stdout, indent=1, ensure_ascii=False)
    print()


main()
