"""Ground truth for verbex-mock's fidelity tests.

Runs CPython's json module and pydantic v2 exactly as a FastAPI (>= 0.132) app with a
body typed Union[UpdateSIP..., UpdatePia..., UpdateTwilio...] does, for a fixed list of
requests plus a seeded random corpus, and writes fastapi.json. FastAPI itself is not
installable here, so its body handling (fastapi/routing.py get_request_handler,
request_validation_exception_handler, Starlette's JSONResponse and
ServerErrorMiddleware) is reproduced line for line below.

    python3 mock/testdata/reference/gen.py > mock/testdata/reference/fastapi.json

Requires pydantic 2.x (2.13.4 produced the committed file).
"""
import base64, email.message, json, random, sys
from typing import Optional, Union

import pydantic
from pydantic import BaseModel, TypeAdapter, ValidationError


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


ADAPTER = TypeAdapter(Union[UpdateSIPPhoneNumberRequest, UpdatePiaPhoneNumberRequest, UpdateTwilioPhoneNumberRequest])


def respond(status, content):
    """Starlette JSONResponse.render; a failure there is ServerErrorMiddleware's 500."""
    try:
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return {"status": 500, "response_content_type": "text/plain; charset=utf-8", "body": "Internal Server Error"}
    return {"status": status, "response_content_type": "application/json", "body": body.decode("utf-8")}


def encode_errors(errors):
    """jsonable_encoder for the error list: bytes inputs are decoded (strictly)."""
    def enc(v):
        if isinstance(v, bytes):
            return v.decode()
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            return {k: enc(x) for k, x in v.items()}
        return v
    return enc(errors)


def handle(content_type, body_bytes):
    body = None
    try:
        if body_bytes:
            json_body = Ellipsis
            if content_type:
                message = email.message.Message()
                message["content-type"] = content_type
                if message.get_content_maintype() == "application":
                    subtype = message.get_content_subtype()
                    if subtype == "json" or subtype.endswith("+json"):
                        json_body = json.loads(body_bytes)
            body = json_body if json_body is not Ellipsis else body_bytes
    except json.JSONDecodeError as e:
        errors = [{"type": "json_invalid", "loc": ["body", e.pos], "msg": "JSON decode error", "input": {}, "ctx": {"error": e.msg}}]
        return respond(422, {"detail": errors})
    except Exception:
        return respond(400, {"detail": "There was an error parsing the body"})
    if body is None:
        return respond(422, {"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]})
    try:
        model = ADAPTER.validate_python(body, from_attributes=True)
    except ValidationError as exc:
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in exc.errors(include_url=False)]
        try:
            errors = encode_errors(errors)
        except UnicodeDecodeError:
            return {"status": 500, "response_content_type": "text/plain; charset=utf-8", "body": "Internal Server Error"}
        return respond(422, {"detail": errors})
    fields = model.model_dump(exclude_unset=True)
    rendered = respond(200, fields)  # the 200 carries the record, so these fields must encode
    if rendered["status"] != 200:
        rendered["picked"] = type(model).__name__  # valid: an unknown id gets 404 first
        return rendered
    return {"status": 200, "picked": type(model).__name__, "set": fields}


FIELDS = ["friendly_name", "inbound_agent_id", "outbound_agent_id", "sip_termination_uri", "sip_trunk_username",
          "sip_trunk_password", "twilio_account_sid", "twilio_auth_token", "unknown", "phone_number", "_id"]

FIXED = [
    ("application/json", b'{"friendly_name":"x"}'),
    ("application/json", b'{"friendly_name":123}'),
    ("application/json", b'{"sip_trunk_username":5}'),
    ("application/json", b'{"twilio_account_sid":5}'),
    ("application/json", b'{"inbound_agent_id":5}'),
    ("application/json", b'[{"friendly_name":"x"}]'),
    ("application/json", b'[1]'),
    ("application/json", b'"hello"'),
    ("application/json", b'null'),
    ("application/json", b' null '),
    ("application/json", b''),
    ("application/json", b'{"friendly_name":'),
    ("application/json", b'{}'),
    ("application/json", b'{"friendly_name":null}'),
    ("application/json", b'{"friendly_name":1,"inbound_agent_id":true}'),
    ("application/json", b'{"twilio_auth_token":7,"friendly_name":1}'),
    ("application/json", b'{"friendly_name":"a","twilio_account_sid":"b"}'),
    ("application/json", b'{"friendly_name":"a","sip_trunk_username":"b","twilio_account_sid":"c"}'),
    ("application/json", b'{"friendly_name":"a","sip_trunk_username":"b","twilio_account_sid":"c","twilio_auth_token":"d"}'),
    ("application/json; charset=utf-8", b'{"friendly_name":"y"}'),
    ("APPLICATION/JSON", b'{"friendly_name":"y"}'),
    ("application/merge-patch+json", b'{"friendly_name":"y"}'),
    ("application/vnd.api+json; charset=utf-8", b'{"friendly_name":9}'),
    ("application/json/x", b'{"friendly_name":"y"}'),
    ("text/plain", b'{"friendly_name":"y"}'),
    ("text/plain", b''),
    ("text/plain", b'\xff\xfe\xfa'),
    ("", b'{"friendly_name":"y"}'),
    (None, b'{"friendly_name":"y"}'),
    ("application/x-www-form-urlencoded", b'friendly_name=y'),
    ("application/json", b'\xff'),
    ("application/json", b'{"friendly_name":"\xc3\x28"}'),
    ("application/json", b'\xef\xbb\xbf{"friendly_name":"bom"}'),
    ("application/json", '{"friendly_name":"utf16"}'.encode("utf-16")),
    ("application/json", '{"friendly_name":"utf16le"}'.encode("utf-16-le")),
    ("application/json", '{"friendly_name":"utf32"}'.encode("utf-32")),
    ("application/json", b'{"friendly_name":NaN}'),
    ("application/json", b'{"friendly_name":-Infinity}'),
    ("application/json", b'{"friendly_name":1e400}'),
    ("application/json", b'{"friendly_name":1.5e-7}'),
    ("application/json", b'{"friendly_name":100000.0}'),
    ("application/json", b'{"friendly_name":1E16}'),
    ("application/json", b'{"friendly_name":-0}'),
    ("application/json", b'{"friendly_name":-0.0}'),
    ("application/json", b'{"friendly_name":123456789012345678901234567890}'),
    ("application/json", b'{"friendly_name":' + b'7' * 4301 + b'}'),
    ("application/json", b'{"friendly_name":' + b'7' * 4300 + b'}'),
    ("application/json", b'{"friendly_name":"\\ud800"}'),
    ("application/json", b'{"friendly_name":"\\ud83d\\ude00"}'),
    ("application/json", b'{"friendly_name":"\\ud83d\\u0041"}'),
    ("application/json", b'{"friendly_name":"\\ud83d"}'),
    ("application/json", b'{"friendly_name":"\\u12"}'),
    ("application/json", b'{"friendly_name":"\\u12zz"}'),
    ("application/json", b'"\\u1234'),
    ("application/json", b'{"friendly_name":"\\x"}'),
    ("application/json", b'{"friendly_name":"a\nb"}'),
    ("application/json", b'{"friendly_name":"unterminated'),
    ("application/json", b'{"friendly_name":"<b>&\\u2028\\u0001\\u007f\\"\\\\\\/"}'),
    ("application/json", '{"friendly_name":"Zürich ☎ 電話"}'.encode()),
    ("application/json", '{"friendly_name":5, "é":1}'.encode()),
    ("application/json", '["é", tru]'.encode()),
    ("application/json", b'{"friendly_name":"a",}'),
    ("application/json", b'[1,]'),
    ("application/json", b'{"a" 1}'),
    ("application/json", b'{"a":1 "b":2}'),
    ("application/json", b'{a:1}'),
    ("application/json", b'{"a":1}}'),
    ("application/json", b'[1 2]'),
    ("application/json", b'01'),
    ("application/json", b'-'),
    ("application/json", b'1e'),
    ("application/json", b'1.'),
    ("application/json", b'[1e+]'),
    ("application/json", b'{"friendly_name":"a","friendly_name":5}'),
    ("application/json", b'{"friendly_name":5,"friendly_name":"a"}'),
    ("application/json", b'{"friendly_name":{"nested":[1,2.50,{"x":null}]}}'),
    ("application/json", b'   '),
    ("application/json", b'\t{"friendly_name" : "spaced" }\n'),
    ("application/json", b'true'),
    ("application/json", b'12.5'),
    ("application/json", b'[' * 2000 + b']' * 2000),
    ("application/json", b'[' * 100 + b']' * 100),
    # Lone surrogates json.loads decodes with surrogatepass: they fail only when they
    # must be encoded into an answer.
    ("application/json", b'{"x":"\xed\xa0\x80"}'),
    ("application/json", b'["\xed\xa0\x80"]'),
    ("application/json", b'{"friendly_name":"\xed\xa0\x80"}'),
    ("application/json", b'{"friendly_name":"a\xed\xbf\xbfb"}'),
    ("application/json", b'{"friendly_name":5,"x":"\xed\xa0\x80"}'),
    ("application/json", b'{"friendly_name":"\xed\xa0\x80\xed\xb0\x80"}'),
    ("application/json", b'{"friendly_name":"\xed\xa0"}'),
    ("application/json", b'["\xed\xa0\x80",]'),
    ("application/json", '{"x":"\ud800"}'.encode("utf-16-le", "surrogatepass")),
    ("application/json", '{"friendly_name":"\udc00"}'.encode("utf-16", "surrogatepass")),
    ("application/json", '[1,"\udfff"]'.encode("utf-32", "surrogatepass")),
    ("application/json", '{"friendly_name":"\ud800"'.encode("utf-16-be", "surrogatepass")),
]


def random_value(rng, depth=0):
    k = rng.randrange(12 if depth < 2 else 8)
    if k < 3:
        return rng.choice(["", "x", "Front desk", "é☎", "a\"b\\c", "\n\t", "\u2028", "<&>"])
    if k == 3:
        return None
    if k == 4:
        return rng.choice([0, -1, 7, 2**70, -2**40])
    if k == 5:
        return rng.choice([0.5, -0.0, 1e-7, 1e16, 123.456, 1e300])
    if k == 6:
        return rng.choice([True, False])
    if k == 7:
        return rng.choice(["sip", "pia", "twilio"])
    if k < 10:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(FIELDS): random_value(rng, depth + 1) for _ in range(rng.randrange(3))}


def random_text(rng, value):
    text = json.dumps(value, ensure_ascii=rng.random() < 0.3, separators=rng.choice([(",", ":"), (", ", ": ")]))
    r = rng.random()
    if r < 0.15 and text:
        text = text[: rng.randrange(len(text))]                       # truncated
    elif r < 0.25 and text:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(["'", ",", "}", "]", "x", "\\", "\x01", " ", "1"]) + text[i:]
    return text.encode()


def corpus(n, seed=20261126):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.75:
            value = {rng.choice(FIELDS): random_value(rng) for _ in range(rng.randrange(6))}
        else:
            value = random_value(rng)
        ct = rng.choice(["application/json"] * 8 + ["text/plain", "application/problem+json", None])
        out.append((ct, random_text(rng, value)))
    return out


def main():
    cases = []
    for ct, body in FIXED + corpus(1500):
        case = {"content_type": ct, "body_b64": base64.b64encode(body).decode()}
        case.update(handle(ct, body))
        cases.append(case)
    json.dump({"pydantic": pydantic.VERSION, "python": sys.version.split()[0], "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
