"""Ground truth for verbex-mock's fidelity tests.

Runs CPython's json module and pydantic v2 exactly as a FastAPI (>= 0.132) app with a
body typed Union[UpdateSIP..., UpdatePia..., UpdateTwilio...] does, for a fixed list of
requests plus a seeded random corpus, and writes fastapi.json. FastAPI itself is not
installable here, so its body handling (fastapi/routing.py get_request_handler,
request_validation_exception_handler, Starlette's JSONResponse and
ServerErrorMiddleware) is reproduced line for line below.

    python3 mock/testdata/reference/gen.py > mock/testdata/reference/fastapi.json
    python3 mock/testdata/reference/gen.py extended > mock/testdata/reference/extended.json

The second corpus is built from mock/testdata/extended.yaml: its request models are
made from the document's schemas (every keyword pydantic v2 emits for request
models), and each request goes to a number of mock/testdata/extended_phone_numbers.yaml;
the answer, including the whole 200 record as the fake's store renders it (FIDELITY.md
step 5), is recorded byte for byte.

Requires pydantic 2.x (2.13.4 produced the committed files) and PyYAML.
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


EXT_DIR = __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..")


def build_models(doc):
    """Pydantic models and types from the document's component schemas: the inverse of
    pydantic's JSON Schema generation, for the keywords it emits."""
    import enum
    from typing import Annotated, List, Literal
    from pydantic import ConfigDict, Field, create_model

    comps = doc["components"]["schemas"]
    made = {}

    def resolve(ref):
        name = ref.rsplit("/", 1)[1]
        if name in made:
            return made[name]
        sch = comps[name]
        if "enum" in sch:
            base = int if sch.get("type") == "integer" else str
            made[name] = enum.Enum(sch["title"], {str(v): v for v in sch["enum"]}, type=base)
        else:
            made[name] = model(sch)
        return made[name]

    def constraints(sch):
        keys = {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern",
                "minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt",
                "multipleOf": "multiple_of", "minItems": "min_length", "maxItems": "max_length"}
        return {keys[k]: v for k, v in sch.items() if k in keys}

    def type_of(sch):
        if "$ref" in sch:
            return resolve(sch["$ref"])
        if "anyOf" in sch:
            alts = [a for a in sch["anyOf"] if a.get("type") != "null"]
            assert len(alts) == 1, sch
            return Optional[type_of(alts[0])]
        if "const" in sch:
            return Literal[sch["const"]]
        if "enum" in sch:
            return Literal[tuple(sch["enum"])]
        t = sch["type"]
        base = {"string": str, "integer": int, "number": float, "boolean": bool}.get(t)
        if t == "array":
            base = List[type_of(sch.get("items", {}))]
        if base is None:
            raise ValueError("no pydantic type for %r" % sch)
        c = constraints(sch)
        return Annotated[base, Field(**c)] if c else base

    def model(sch):
        fields = {}
        for name, prop in sch.get("properties", {}).items():
            tp = type_of(prop)
            if name in sch.get("required", []):
                fields[name] = (tp, ...)
            else:
                fields[name] = (tp, prop.get("default"))
        cfg = ConfigDict(extra="forbid") if sch.get("additionalProperties") is False else None
        return create_model(sch["title"], __config__=cfg, **fields)

    return resolve, type_of


def check_schema(resolve, doc, name):
    """The document must be what pydantic emits for the models built from it."""
    generated = TypeAdapter(resolve("#/components/schemas/" + name)).json_schema(ref_template="#/components/schemas/{model}")
    defs = generated.pop("$defs", {})
    comps = doc["components"]["schemas"]

    def strip(x):
        if isinstance(x, dict):
            # the seed document leaves out pydantic's "default": null; titles and
            # descriptions are prose
            return {k: strip(v) for k, v in x.items() if k not in ("description", "title") and not (k == "default" and v is None)}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    for n, sch in [(name, generated)] + list(defs.items()):
        if strip(sch) != strip(comps[n]):
            sys.exit("gen.py: %s in the document is not what pydantic emits:\n%s\n%s" % (n, json.dumps(strip(sch), sort_keys=True), json.dumps(strip(comps[n]), sort_keys=True)))


def extended_main():
    import yaml
    doc = yaml.safe_load(open(EXT_DIR + "/extended.yaml"))
    fixtures = yaml.safe_load(open(EXT_DIR + "/extended_phone_numbers.yaml"))["phone_numbers"]
    resolve, type_of = build_models(doc)
    op = doc["paths"]["/v1/phone-numbers/{phone_number_id}"]["patch"]
    branches = [b["$ref"].rsplit("/", 1)[1] for b in op["requestBody"]["content"]["application/json"]["schema"]["anyOf"]]
    providers = [b["$ref"].rsplit("/", 1)[1] for b in op["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]]
    for name in branches:
        check_schema(resolve, doc, name)
    global ADAPTER
    ADAPTER = TypeAdapter(Union[tuple(resolve("#/components/schemas/" + b) for b in branches)])
    comps = doc["components"]["schemas"]
    schema_of = {comps[p]["properties"]["provider"]["const"]: comps[p] for p in providers}
    global FITS
    adapters = {}

    def FITS(provider, key, value):
        """The fake's store keeps a value only if it fits the provider's response schema
        (strict, as JSON: what the 200 it renders must satisfy)."""
        if (provider, key) not in adapters:
            adapters[provider, key] = TypeAdapter(type_of(schema_of[provider]["properties"][key]))
        def clean(v):  # whether a value can be encoded is the render's business, not the store's
            if isinstance(v, str):
                return v.encode("utf-8", "replace").decode()
            if isinstance(v, list):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            return v
        try:
            adapters[provider, key].validate_json(json.dumps(clean(value)), strict=True)
            return True
        except (ValidationError, ValueError):
            return False

    def record(raw):
        """A stored record as the fake's store holds it: every field in schema order,
        omitted ones at their default or null."""
        props = schema_of[raw["provider"]]["properties"]
        return {k: raw.get(k, p.get("default")) for k, p in props.items()}

    ids = [r["_id"] for r in fixtures]
    cases = []
    for target, ct, body in EXT_FIXED + ext_corpus(ids, 1200):
        case = {"id": target, "content_type": ct, "body_b64": base64.b64encode(body).decode()}
        case.update(handle_stored(ct, body, record(next(r for r in fixtures if r["_id"] == target)), schema_of))
        cases.append(case)
    for c in cases:
        c.pop("dropped_unencodable", None)
    json.dump({"pydantic": pydantic.VERSION, "python": sys.version.split()[0], "document": "mock/testdata/extended.yaml",
               "fixtures": "mock/testdata/extended_phone_numbers.yaml", "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


def handle_stored(ct, body, rec, schema_of):
    """handle(), then the fake's store: the picked fields its provider declares (but
    _id and provider) are applied and the whole record is the 200."""
    out = handle(ct, body)
    if "picked" not in out:
        return out
    model = ADAPTER.validate_python(json.loads(body), from_attributes=True)
    fields = model.model_dump(exclude_unset=True)
    props = schema_of[rec["provider"]]["properties"]
    applied = {k: v for k, v in fields.items() if k in props and k not in ("_id", "provider") and FITS(rec["provider"], k, v)}
    dropped_bad = any(k not in applied for k in fields) and respond(200, fields)["status"] != 200
    rec = dict(rec)
    rec.update(applied)
    r = respond(200, rec)
    r["picked"] = out["picked"]
    if r["status"] == 200 and dropped_bad:
        r["dropped_unencodable"] = True
    return r


V = "6650a1f2c3d4e5f6a7b8c910"  # the full Vonage number
V2 = "6650a1f2c3d4e5f6a7b8c911"  # a Vonage number with every field at its default
SIP = "6650a1f2c3d4e5f6a7b8c901"
PIA = "6650a1f2c3d4e5f6a7b8c904"


def _j(target, text):
    return (target, "application/json", text.encode() if isinstance(text, str) else text)


EXT_FIXED = [_j(V, t) for t in [
    # strings: maxLength (code points), minLength, pattern (search, Unicode \d)
    '{"friendly_name":"x"}', '{"friendly_name":"' + "x" * 32 + '"}', '{"friendly_name":"' + "x" * 33 + '"}',
    '{"friendly_name":"' + "é" * 32 + '"}', '{"friendly_name":"' + "😀" * 33 + '"}', '{"friendly_name":5}',
    '{"vonage_application_id":"ab"}', '{"vonage_application_id":"abc"}', '{"vonage_application_id":"' + "a" * 13 + '"}',
    '{"vonage_application_id":"a"}', '{"vonage_application_id":""}', '{"vonage_application_id":"😀😀😀"}',
    '{"vonage_api_key":"0a1b2c3d"}', '{"vonage_api_key":"0A1B2C3D"}', '{"vonage_api_key":"0a1b2c3d9"}',
    '{"vonage_api_key":"x0a1b2c3d"}', '{"vonage_api_key":"0a1b2c3d\n"}', '{"vonage_api_key":12345678}',
    # booleans, lax
    '{"sms_enabled":true}', '{"sms_enabled":false}', '{"sms_enabled":null}', '{"sms_enabled":"true"}', '{"sms_enabled":"YES"}',
    '{"sms_enabled":"off"}', '{"sms_enabled":"2"}', '{"sms_enabled":" true"}', '{"sms_enabled":1}', '{"sms_enabled":0}',
    '{"sms_enabled":2}', '{"sms_enabled":1.0}', '{"sms_enabled":0.5}', '{"sms_enabled":2.0}', '{"sms_enabled":[]}', '{"sms_enabled":{}}',
    # integers with bounds, lax
    '{"max_concurrent_calls":5}', '{"max_concurrent_calls":1}', '{"max_concurrent_calls":100}', '{"max_concurrent_calls":0}',
    '{"max_concurrent_calls":101}', '{"max_concurrent_calls":-5}', '{"max_concurrent_calls":"5"}', '{"max_concurrent_calls":" 7 "}',
    '{"max_concurrent_calls":"5.0"}', '{"max_concurrent_calls":"5.5"}', '{"max_concurrent_calls":"1_0"}', '{"max_concurrent_calls":"1__0"}',
    '{"max_concurrent_calls":"+5"}', '{"max_concurrent_calls":"0x10"}', '{"max_concurrent_calls":"abc"}', '{"max_concurrent_calls":""}',
    '{"max_concurrent_calls":5.0}', '{"max_concurrent_calls":5.5}', '{"max_concurrent_calls":1e2}', '{"max_concurrent_calls":1e20}',
    '{"max_concurrent_calls":true}', '{"max_concurrent_calls":false}', '{"max_concurrent_calls":NaN}', '{"max_concurrent_calls":Infinity}',
    '{"max_concurrent_calls":123456789012345678901234567890}', '{"max_concurrent_calls":-123456789012345678901234567890}',
    '{"max_concurrent_calls":"99999999999999999999999"}', '{"max_concurrent_calls":[5]}', '{"max_concurrent_calls":"\u0663"}',
    # numbers: exclusiveMinimum, maximum, multipleOf
    '{"call_weight":0.5}', '{"call_weight":10}', '{"call_weight":10.0}', '{"call_weight":10.5}', '{"call_weight":0}', '{"call_weight":-0.0}',
    '{"call_weight":0.7}', '{"call_weight":2}', '{"call_weight":"2.5"}', '{"call_weight":" 1.5 "}', '{"call_weight":"1_0"}', '{"call_weight":"nan"}',
    '{"call_weight":"inf"}', '{"call_weight":"abc"}', '{"call_weight":true}', 
    '{"call_weight":NaN}', '{"call_weight":"1e400"}', '{"call_weight":[1]}', '{"call_weight":".5"}', '{"call_weight":"5."}',
    # Enum class, Literal (inline enum, const, integers)
    '{"region":"eu"}', '{"region":"EU"}', '{"region":"mars"}', '{"region":1}', '{"region":null}',
    '{"routing_mode":"failover"}', '{"routing_mode":"random"}', '{"routing_mode":5}',
    '{"webhook_version":"v2"}', '{"webhook_version":"v1"}', '{"webhook_version":2}',
    '{"priority":2}', '{"priority":2.0}', '{"priority":true}', '{"priority":"2"}', '{"priority":4}', '{"priority":0}',
    # arrays: items, minItems, maxItems
    '{"tags":["a"]}', '{"tags":["a","b","c"]}', '{"tags":[]}', '{"tags":["a","b","c","d"]}', '{"tags":["a",1,"b"]}',
    '{"tags":["' + "x" * 11 + '"]}', '{"tags":["a",1,"b","c"]}', '{"tags":"a"}', '{"tags":{"a":1}}', '{"tags":[null]}', '{"tags":null}',
    '{"tags":[1,2]}',
    # nested model: required, additionalProperties false, defaults, pattern with Unicode \d
    '{"forwarding":{"number":"+4930555010"}}', '{"forwarding":{"number":"+4930555010","timeout_seconds":"30","enabled":"no"}}',
    '{"forwarding":{}}', '{"forwarding":{"number":"+4930555010","extra":1}}', '{"forwarding":{"number":"4930"}}',
    '{"forwarding":{"number":"+\u0661\u0662"}}', '{"forwarding":{"number":"+1","timeout_seconds":1}}',
    '{"forwarding":{"number":5,"timeout_seconds":"x","enabled":"maybe","a":1,"b":2}}', '{"forwarding":"x"}', '{"forwarding":[]}',
    '{"forwarding":null}', '{"forwarding":{"timeout_seconds":99,"z":1}}',
    # smart-union picks: most fields set (nested ones count), then strict over lax, then leftmost
    '{"friendly_name":"a","sms_enabled":"true"}', '{"friendly_name":"a","sip_trunk_username":"u","sms_enabled":true}',
    '{"friendly_name":"a","sip_trunk_username":"u","forwarding":{"number":"+49301","timeout_seconds":30}}',
    '{"inbound_agent_id":"a","outbound_agent_id":"b","twilio_account_sid":"c","sms_enabled":1}',
    '{"friendly_name":"' + "x" * 40 + '","sms_enabled":true}', '{"friendly_name":"' + "x" * 40 + '","sms_enabled":"x"}',
    '{"max_concurrent_calls":500,"friendly_name":1}', '{"sms_enabled":"x","max_concurrent_calls":"y","region":"z","tags":5}',
    '{}', '[1]', '"x"', 'null',
    # every field valid at once
    '{"friendly_name":"Berlin 2","inbound_agent_id":null,"vonage_api_key":"deadbeef","vonage_application_id":"app-2",'
    '"sms_enabled":"on","max_concurrent_calls":"42","call_weight":"2.5","region":"apac","routing_mode":"round_robin",'
    '"webhook_version":"v2","priority":3.0,"tags":["x","y"],"forwarding":{"enabled":false,"number":"+4930555011"}}',
]] + [
    # updates of another provider's number: Vonage fields are dropped
    _j(SIP, '{"sms_enabled":true,"max_concurrent_calls":3}'), _j(SIP, '{"friendly_name":"b","tags":["z"]}'),
    _j(PIA, '{"friendly_name":"' + "x" * 40 + '"}'), _j(V2, '{"max_concurrent_calls":"12"}'), _j(V2, '{}'),
    _j(V2, '{"forwarding":{"number":"+12"},"call_weight":3}'),
    # lone surrogates: only a field that reaches the answer fails it
    _j(V, b'{"friendly_name":"\xed\xa0\x80"}'), _j(V, b'{"tags":["\xed\xa0\x80"]}'), _j(V, b'{"x":"\xed\xa0\x80"}'),
    _j(V, b'{"tags":["\xed\xa0\x80",5]}'), _j(V, b'{"vonage_api_key":"\xed\xa0\x80"}'),
    _j(PIA, b'{"sip_trunk_username":"\xed\xa0\x80"}'), _j(PIA, '{"sip_trunk_username":"\\ud800"}'),
    _j(SIP, b'{"friendly_name":"a","sms_enabled":true,"vonage_application_id":"\xed\xa0\x80x"}'),
]

EXT_FIELDS = ["friendly_name", "vonage_api_key", "vonage_application_id", "sms_enabled", "max_concurrent_calls",
              "call_weight", "region", "routing_mode", "webhook_version", "priority", "tags", "forwarding",
              "sip_trunk_username", "twilio_account_sid", "inbound_agent_id", "unknown"]
EXT_VALUES = ["", "x", "abc", "0a1b2c3d", "abcdefgh1", "5", " 7 ", "5.0", "1_0", "true", "YES", "off", "nan", "2.5",
              "eu", "EU", "apac", "failover", "v2", "x" * 13, "x" * 40, "é☎", None, True, False, 0, 1, 2, 5, 100, 101, -1,
              2**70, 0.5, 1.0, 2.25, 10.0, 10.5, -0.0, 5.0, 1e300, [], ["a"], ["a", "b", "c", "d"], [1], ["x" * 11],
              {"number": "+4930555"}, {"number": "x"}, {}, {"number": "+12", "extra": 1}, {"number": "+123", "timeout_seconds": "30"},
              {"number": "+49", "enabled": "yes"}, {"a": 1}]


def ext_corpus(ids, n, seed=20261127):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        value = {rng.choice(EXT_FIELDS): rng.choice(EXT_VALUES) for _ in range(rng.randrange(1, 5))}
        text = json.dumps(value, ensure_ascii=rng.random() < 0.3)
        out.append((rng.choice(ids), "application/json", text.encode()))
    return out


def main():
    if sys.argv[1:] == ["extended"]:
        return extended_main()
    cases = []
    for ct, body in FIXED + corpus(1500):
        case = {"content_type": ct, "body_b64": base64.b64encode(body).decode()}
        case.update(handle(ct, body))
        cases.append(case)
    json.dump({"pydantic": pydantic.VERSION, "python": sys.version.split()[0], "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
