"""Ground truth for the fake's transport (transport.json): what a client sees from uvicorn.

Starts uvicorn (h11) with a FastAPI app that has the Verbex route and one handler
that raises, sends raw bytes on fresh TCP connections, and records the answer's
bytes (the date header's value blanked) and how the connection ended: "eof" (the
server closed it: FIN), or "open" (still open a second later).

    /usr/bin/python3 mock/testdata/reference/transport.py > mock/testdata/reference/transport.json

Run with Debian's python3-uvicorn, python3-fastapi and python3-h11. The committed
file was made with uvicorn 0.17.6, h11 0.14.0, FastAPI 0.92.0 and CPython 3.11.2;
the rules it shows (h11's request-line grammar and 16 KiB limit, uvicorn's 400 and
its closing after an unhandled error) are the same in current uvicorn and h11.
"""
import json, os, re, socket, subprocess, sys, tempfile, time

import fastapi, h11, uvicorn

ID = b"6650a1f2c3d4e5f6a7b8c901"
P = b"/v1/phone-numbers/"

APP = '''
from typing import Optional
from fastapi import FastAPI
from pydantic import BaseModel
app = FastAPI()
class Update(BaseModel):
    friendly_name: Optional[str] = None
@app.patch("/v1/phone-numbers/{phone_number_id}")
def update(phone_number_id: str, body: Update):
    if phone_number_id == "raise":  # stands for an answer that cannot be encoded
        raise RuntimeError("unhandled")
    return {"_id": phone_number_id}
'''


def patch(target, body=b"{}", method=b"PATCH"):
    return (method + b" " + target + b" HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


# (rule, request bytes, send in pieces of this many bytes, 0 for one write)
CASES = [
    ("an unhandled error: plain 500, then the connection is closed", patch(P + b"raise"), 0),
    ("an ordinary answer keeps the connection", patch(P + ID), 0),
    ("an absolute-form target is routed by its whole text: 404", patch(b"http://verbex-mock" + P + ID), 0),
    ("an absolute-form target is routed by its whole text: 404", patch(b"https://verbex-mock" + P + ID + b"/"), 0),
    ("a raw byte outside 0x21-0x7E in the target: 400", patch(P + b"\xc3\xa9"), 0),
    ("a raw byte outside 0x21-0x7E in the target: 400", patch(P + b"a\x7f"), 0),
    ("a raw byte outside 0x21-0x7E in the target: 400", patch(P + b"a\x01"), 0),
    ("a malformed request line: 400", b"GARBAGE\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b"PATCH " + P + ID + b"\tHTTP/1.1\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b"PATCH  " + P + ID + b" HTTP/1.1\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b"PATCH " + P + ID + b" HTTP/1.1x\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b"PATCH " + P + ID + b" http/1.1\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b"PA(CH " + P + ID + b" HTTP/1.1\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed request line: 400", b" PATCH " + P + ID + b" HTTP/1.1\r\nHost: verbex-mock\r\n\r\n", 0),
    ("a malformed escape in the path is kept as it is and routed", patch(P + b"%zz"), 0),
    ("a malformed escape in the path is kept as it is and routed", patch(P + b"a%2"), 0),
    ("a malformed escape in the path is kept as it is and routed", patch(P + b"a%"), 0),
    ("a malformed escape in the path is kept as it is and routed", patch(P + b"%G1%41"), 0),
    ("a request line over 16 KiB that arrives in pieces: 400", patch(P + b"a" * 20000), 1024),
    ("a request line just under 16 KiB is routed", patch(P + b"a" * 16300), 1024),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exchange(port, raw, piece):
    s = socket.create_connection(("127.0.0.1", port))
    try:
        for i in range(0, len(raw), piece or len(raw)):
            s.sendall(raw[i:i + (piece or len(raw))])
            time.sleep(0.01 if piece else 0)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the whole request was sent
    s.settimeout(1.0)
    data, end = b"", "open"
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                end = "eof"
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        end = "reset"
    s.close()
    return re.sub(rb"(?m)^date: [^\r]*", b"date: -", data), end


def main():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "refapp.py"), "w") as f:
            f.write(APP)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "refapp:app", "--port", str(port), "--log-level", "critical"],
                                cwd=d)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
            cases = []
            for rule, raw, piece in CASES:
                answer, end = exchange(port, raw, piece)
                cases.append({"rule": rule, "request": raw.decode("latin-1"), "pieces": piece,
                              "answer": answer.decode("latin-1"), "end": end})
        finally:
            proc.terminate()
            proc.wait()
    json.dump({"uvicorn": uvicorn.__version__, "h11": h11.__version__, "fastapi": fastapi.__version__,
               "python": sys.version.split()[0], "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
    print()


main()
