#!/usr/bin/env python3
"""Vendor Alibaba's official API metadata (shared/api-docs/*.json) into api-meta/, trimmed.

Keeps what the server and the conformance suite read: per action the parameters (wire name, `in`,
style, schema without prose), the 200 response schema (without prose; `example` kept for strings
is dropped too), and the documented error codes. Prose (descriptions, titles, demos) is dropped so
the vendored copy stays small. Run from the repo root:

    python3 tools/vendor_api_meta.py ../shared/api-docs api-meta
"""
import json
import os
import sys

DROP = {"description", "example", "title", "summary", "externalDocs", "docRequired", "exampleValue",
        "enumValueTitles", "isFileTransferUrl", "backendName", "deprecated", "visibility"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(src, name), encoding="utf-8") as f:
            doc = json.load(f)
        apis = {}
        for action, api in sorted(doc["apis"].items()):
            out = {
                "parameters": [strip(p) for p in api.get("parameters", [])],
                "responses": {"200": {"schema": strip(api.get("responses", {}).get("200", {}).get("schema", {}))}},
            }
            if api.get("errorCodes"):
                out["errorCodes"] = {status: [{"errorCode": e.get("errorCode"), "errorMessage": e.get("errorMessage")}
                                              for e in errs] for status, errs in api["errorCodes"].items()}
            if api.get("_inCurrent") is False:
                out["_inCurrent"] = False
            apis[action] = out
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            json.dump({"info": doc.get("info", {}), "apis": apis}, f, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
