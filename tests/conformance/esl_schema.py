"""Response-shape checks against the official API metadata in <repo>/api-meta.

Every successful response the suite receives is validated against
`apis.<Action>.responses."200".schema` of its product version. Why it matters: when a response has
the wrong shape (a wrapped object where the schema has a flat array, an int where it has a string),
the Python SDKs do not raise; `from_map` fails, the error is swallowed and the test gets a model whose
every field is None.

Rules (the metadata dialect: type object/array/string/integer/boolean/number, properties, items):
  array -> list, object -> dict, string -> str, integer -> int (not bool), boolean -> bool,
  number -> int or float (not bool). Extra fields are allowed, missing fields are allowed.
  A JSON null is a mismatch (the real service omits a field rather than sending null).
  A successful body must be an object carrying a string RequestId.

Hooks:
  * Tea SDKs: `alibabacloud_tea_openapi.client.Client.call_api` is wrapped; it returns the raw dict
    {"body", "headers", "statusCode"} before the product client runs `from_map`. This covers V3
    (`do_request`) and V2 (`do_rpcrequest`, used with signature_algorithm="v2").
  * Old core: `aliyunsdkcore.client.AcsClient.do_action_with_exception` returns the raw JSON bytes.
The last raw body is kept in `LAST` so tests can assert on exactly what the server sent.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# The suite reads the trimmed metadata committed in the repo. ESS_LOCAL_API_META may point
# elsewhere (a developer convenience); by default nothing outside the repo is read.
API_META_DIR = Path(os.environ.get("ESS_LOCAL_API_META", str(REPO_ROOT / "api-meta")))

# API version -> metadata file. The five versions under test are distinct, so the version alone
# identifies the product.
VERSION_FILES = {
    "2022-02-22": "ess-2022-02-22.json",
    "2014-08-28": "ess-2014-08-28.json",
    "2014-05-26": "ecs-2014-05-26.json",
    "2016-04-28": "vpc-2016-04-28.json",
    "2014-08-15": "rds-2014-08-15.json",
    "2017-08-01": "polardb-2017-08-01.json",
    "2015-12-01": "dds-2015-12-01.json",
    "2019-03-15": "adb-2019-03-15.json",
    "2016-05-03": "gpdb-2016-05-03.json",
    "2015-01-01": "r-kvstore-2015-01-01.json",
    "2019-06-01": "oos-2019-06-01.json",
}

_META_CACHE: dict[str, dict] = {}
_LOCK = threading.Lock()


class SchemaMismatch(AssertionError):
    pass


class _Last:
    """The most recent raw successful response seen by a hook (the suite is single-threaded)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.version: str | None = None
        self.action: str | None = None
        self.body: Any = None

    def set(self, version: str, action: str, body: Any) -> None:
        self.version, self.action, self.body = version, action, body


LAST = _Last()
# How many responses were validated, per (version, action); printed at the end of the session.
VALIDATED: dict[tuple[str, str], int] = {}


def load_meta(version: str) -> dict:
    with _LOCK:
        if version in _META_CACHE:
            return _META_CACHE[version]
        fname = VERSION_FILES.get(version)
        if fname is None:
            raise SchemaMismatch(f"no api-meta file is known for API version {version!r}")
        path = API_META_DIR / fname
        if not path.is_file():
            raise SchemaMismatch(
                f"api-meta file {path} is missing: the conformance suite validates every response "
                f"against it (set ESS_LOCAL_API_META to another folder holding {fname} if needed)"
            )
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        _META_CACHE[version] = meta
        return meta


def response_schema(version: str, action: str) -> dict:
    meta = load_meta(version)
    api = meta.get("apis", {}).get(action)
    if api is None:
        raise SchemaMismatch(f"api-meta {VERSION_FILES[version]} has no action {action!r}")
    try:
        return api["responses"]["200"]["schema"]
    except (KeyError, TypeError):
        raise SchemaMismatch(f"api-meta {VERSION_FILES[version]} {action} has no responses.200.schema")


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def check_value(schema: dict, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    t = schema.get("type")
    if t is None:
        return
    got = _type_name(value)
    ok = {
        "object": got == "object",
        "array": got == "array",
        "string": got == "string",
        "integer": got == "integer",
        "boolean": got == "boolean",
        "number": got in ("integer", "number"),
    }.get(t, True)
    if not ok:
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) > 200:
            shown = shown[:200] + "..."
        errors.append(f"{path}: schema type {t!r}, got {got} {shown}")
        return
    if t == "object":
        props = schema.get("properties") or {}
        for k, sub in props.items():
            if k in value:
                check_value(sub, value[k], f"{path}.{k}", errors)
    elif t == "array":
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                check_value(items, item, f"{path}[{i}]", errors)


def validate(version: str, action: str, body: Any) -> None:
    """Raise SchemaMismatch (an AssertionError) naming every mismatching JSON path."""
    __tracebackhide__ = True
    schema = response_schema(version, action)
    errors: list[str] = []
    if not isinstance(body, dict):
        errors.append(f"$: a successful response must be a JSON object, got {_type_name(body)}")
    else:
        if not isinstance(body.get("RequestId"), str) or not body.get("RequestId"):
            errors.append("$.RequestId: a successful response must carry a non-empty string RequestId")
        check_value(schema, body, "$", errors)
    if errors:
        raise SchemaMismatch(
            f"{action} ({version}) response does not match api-meta responses.200.schema:\n  "
            + "\n  ".join(errors)
        )
    VALIDATED[(version, action)] = VALIDATED.get((version, action), 0) + 1


_installed = False


def install_hooks() -> None:
    """Wrap the SDK entry points that see raw successful bodies. Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True

    from alibabacloud_tea_openapi.client import Client as OpenApiClient

    orig_call_api = OpenApiClient.call_api

    def call_api(self, params, request, runtime):
        __tracebackhide__ = True
        LAST.clear()
        res = orig_call_api(self, params, request, runtime)
        if params is not None and params.body_type == "json" and isinstance(res, dict):
            body = res.get("body")
            LAST.set(params.version, params.action, body)
            validate(params.version, params.action, body)
        return res

    OpenApiClient.call_api = call_api

    from aliyunsdkcore.client import AcsClient

    orig_do = AcsClient.do_action_with_exception

    def do_action_with_exception(self, acs_request):
        __tracebackhide__ = True
        LAST.clear()
        raw = orig_do(self, acs_request)
        version, action = acs_request.get_version(), acs_request.get_action_name()
        try:
            body = json.loads(raw)
        except ValueError:
            raise SchemaMismatch(f"{action} ({version}): response is not JSON: {raw[:300]!r}")
        LAST.set(version, action, body)
        validate(version, action, body)
        return raw

    AcsClient.do_action_with_exception = do_action_with_exception
