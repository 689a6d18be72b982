"""PATCH /v1/phone-numbers/{phone_number_id} as a FastAPI service, for .ci/checks/25-uvicorn.sh.

Served by Debian's uvicorn (python3-uvicorn, python3-fastapi: FastAPI 0.92, pydantic 1), so the
connection handling under test is uvicorn's own: after an unhandled error Starlette answers its
plain-text 500 and uvicorn closes the kept-alive connection without "Connection: close".

VERBEX_APP_ERRORS selects how the body is validated:
  pydantic2 (default)  by hand, answering the errors pydantic 2 answers (the document's 422s);
  pydantic1            by FastAPI itself with pydantic 1 models: its native errors, another contract.
The provider-state route POST /__admin/states creates numbers for the contract runner.
"""

import json
import os
import secrets
import threading
from typing import Optional, Union

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StrictStr

MODE = os.environ.get("VERBEX_APP_ERRORS", "pydantic2")

# The request branches in the document's order, each with its properties in schema order.
BRANCHES = [
    ("UpdateSIPPhoneNumberRequest", ["friendly_name", "inbound_agent_id", "outbound_agent_id",
                                     "sip_termination_uri", "sip_trunk_username", "sip_trunk_password"]),
    ("UpdatePiaPhoneNumberRequest", ["friendly_name", "inbound_agent_id", "outbound_agent_id"]),
    ("UpdateTwilioPhoneNumberRequest", ["friendly_name", "twilio_account_sid", "twilio_auth_token",
                                        "inbound_agent_id", "outbound_agent_id"]),
]
# Each provider's record fields after _id, provider, phone_number, in schema order.
RECORDS = {
    "sip": ["friendly_name", "sip_termination_uri", "sip_trunk_username", "sip_trunk_password",
            "inbound_agent_id", "outbound_agent_id", "sip_infra_region"],
    "pia": ["friendly_name", "inbound_agent_id", "outbound_agent_id"],
    "twilio": ["friendly_name", "twilio_account_sid", "twilio_auth_token", "inbound_agent_id", "outbound_agent_id"],
}
STATES = {"a SIP number exists": "sip", "a Pia number exists": "pia", "a Twilio number exists": "twilio"}

numbers = {}
faults = {}  # phone_number_id ("" for any) -> the status its next update answers
lock = threading.Lock()

app = FastAPI()


def not_found(phone_number_id):
    return JSONResponse(status_code=404, content={
        "error": "phone_number_not_found", "message": f"No phone number has the id {phone_number_id}."})


def apply(phone_number_id, fields):
    """Sets the fields the number's provider declares; the answer is the whole record."""
    with lock:
        rec = numbers.get(phone_number_id)
        status = faults.pop(phone_number_id, None) or faults.pop("", None)
        if status == 500:
            return JSONResponse(status_code=500, content={"error": "internal_error", "message": "The update failed."})
        if rec is None or status == 404:
            return not_found(phone_number_id)
        fields = {k: v for k, v in fields.items() if k in RECORDS[rec["provider"]]}
        for v in fields.values():
            if isinstance(v, str):
                v.encode("utf-8")  # a database stores UTF-8: a lone surrogate fails here, before anything is stored
        rec.update(fields)
        return JSONResponse(content=dict(rec))


@app.post("/__admin/states")
async def states(request: Request):
    payload = await request.json()
    state, params = payload.get("state"), payload.get("params") or {}
    if state == "no phone number has the id":
        return {"phone_number_id": params.get("phone_number_id") or secrets.token_hex(12)}
    if state == "the next update fails" and params.get("status", 500) in (404, 500):
        with lock:
            faults[params.get("phone_number_id") or ""] = params.get("status", 500)
        return {"fault_id": secrets.token_hex(4), "status": params.get("status", 500)}
    provider = STATES.get(state)
    if provider is None:
        return JSONResponse(status_code=400, content={"error": "unknown_state", "message": f"unknown state {state!r}"})
    rec = {"_id": secrets.token_hex(12), "provider": provider, "phone_number": "+1415555%04d" % secrets.randbelow(10000)}
    for f in RECORDS[provider]:
        rec[f] = "global" if f == "sip_infra_region" else None
    for k, v in params.items():
        if k in RECORDS[provider]:
            rec[k] = v
    with lock:
        numbers[rec["_id"]] = rec
    return {"phone_number_id": rec["_id"], "phone_number": rec["phone_number"], "provider": provider}


def is_json(content_type):
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def invalid(errors):
    # FastAPI renders this with json.dumps(allow_nan=False) and encodes it as UTF-8: a NaN
    # or a lone surrogate echoed in "input" raises here, as in FastAPI, and becomes
    # Starlette's plain-text 500.
    return JSONResponse(status_code=422, content={"detail": errors})


if MODE == "pydantic1":
    class UpdateSIPPhoneNumberRequest(BaseModel):
        friendly_name: Optional[StrictStr] = None
        inbound_agent_id: Optional[StrictStr] = None
        outbound_agent_id: Optional[StrictStr] = None
        sip_termination_uri: Optional[StrictStr] = None
        sip_trunk_username: Optional[StrictStr] = None
        sip_trunk_password: Optional[StrictStr] = None

    class UpdatePiaPhoneNumberRequest(BaseModel):
        friendly_name: Optional[StrictStr] = None
        inbound_agent_id: Optional[StrictStr] = None
        outbound_agent_id: Optional[StrictStr] = None

    class UpdateTwilioPhoneNumberRequest(BaseModel):
        friendly_name: Optional[StrictStr] = None
        twilio_account_sid: Optional[StrictStr] = None
        twilio_auth_token: Optional[StrictStr] = None
        inbound_agent_id: Optional[StrictStr] = None
        outbound_agent_id: Optional[StrictStr] = None

    @app.patch("/v1/phone-numbers/{phone_number_id}")
    def update_phone_number(phone_number_id: str, update_data: Union[
            UpdateSIPPhoneNumberRequest, UpdatePiaPhoneNumberRequest, UpdateTwilioPhoneNumberRequest] = Body(...)):
        return apply(phone_number_id, update_data.dict(exclude_unset=True))

else:
    @app.patch("/v1/phone-numbers/{phone_number_id}")
    async def update_phone_number(phone_number_id: str, request: Request):
        raw = await request.body()
        body = raw
        if is_json(request.headers.get("content-type", "")):
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError as e:
                return invalid([{"type": "json_invalid", "loc": ["body", e.pos], "msg": "JSON decode error",
                                 "input": {}, "ctx": {"error": e.msg}}])
            except Exception:  # not UTF-8/16/32, nesting past the recursion limit
                return JSONResponse(status_code=400, content={"detail": "There was an error parsing the body"})
        elif not raw:
            body = None
        else:
            body = raw.decode()  # FastAPI's jsonable_encoder does this to echo it (a bad byte: 500)
        if body is None:
            return invalid([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
        errors, passing = [], []
        for title, props in BRANCHES:
            if not isinstance(body, dict):
                errors.append({"type": "model_attributes_type", "loc": ["body", title],
                               "msg": "Input should be a valid dictionary or object to extract fields from", "input": body})
                continue
            bad = [{"type": "string_type", "loc": ["body", title, p], "msg": "Input should be a valid string", "input": body[p]}
                   for p in props if p in body and body[p] is not None and not isinstance(body[p], str)]
            errors.extend(bad)
            if not bad:
                passing.append(props)
        if not passing:
            return invalid(errors)
        # pydantic 2's smart union: the passing branch with the most fields set; the first on a tie.
        picked = max(passing, key=lambda props: sum(p in body for p in props))
        return apply(phone_number_id, {p: body[p] for p in picked if p in body})
