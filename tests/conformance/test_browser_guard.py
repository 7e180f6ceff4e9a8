"""A web page the developer visits cannot drive ess-local: a request naming another site as its
Origin is refused (403 Forbidden.Origin) before any route runs, and a browser-facing request (the
admin and console routes, or any request with an Origin) must address the server by an IP address
or localhost (403 Forbidden.Host), which a DNS-rebinding page cannot. SDK calls, which carry no
Origin, are unaffected. Runs on a server of its own, since a failure here could reset it."""
from __future__ import annotations

import json

import requests

import alibabacloud_vpc20160428.models as vpc_models

import esl_procs
from esl_helpers import REGION, call


def test_foreign_pages_cannot_drive_the_server():
    backend = esl_procs.Backend("sqlite")
    proc = esl_procs.start(backend)
    try:
        base, host = proc.base_url, proc.endpoint
        vpc = proc.client("vpc")
        vpc_id = call(vpc.create_vpc, vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16"))["VpcId"]
        console_call = {"Product": "vpc", "Action": "DescribeVpcs", "Parameters": {"RegionId": REGION}}
        cases = [
            # A cross-site form post to reset, to advance the clock, to the console, to the RPC endpoint.
            ("POST", "/_ess-local/reset", {"Origin": "https://evil.example"}, None, "Forbidden.Origin"),
            ("POST", "/_ess-local/clock/advance?seconds=60", {"Origin": "https://evil.example"}, None, "Forbidden.Origin"),
            ("POST", "/_ess-local/console/call", {"Origin": "https://evil.example", "Content-Type": "application/json"},
             json.dumps(console_call), "Forbidden.Origin"),
            ("POST", "/?Action=DeleteVpc", {"Origin": "https://evil.example"}, None, "Forbidden.Origin"),
            # A DNS-rebinding page: its Origin and Host are its own name.
            ("POST", "/_ess-local/reset", {"Origin": "http://rebind.example:1", "Host": "rebind.example:1"}, None, "Forbidden.Host"),
            ("GET", "/_ess-local/access?from=i-x&to=rm-x", {"Host": "rebind.example:1"}, None, "Forbidden.Host"),
        ]
        for method, path, headers, body, code in cases:
            r = requests.request(method, base + path, headers=headers, data=body, timeout=10)
            assert (r.status_code, r.json()["Code"]) == (403, code), (method, path, headers, r.text)
        # Nothing happened: the VPC is there and the clock did not move.
        raw = call(vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc_id))
        assert [v["VpcId"] for v in raw["Vpcs"]["Vpc"]] == [vpc_id]
        # The console's own page may call, by IP or by localhost.
        for h in (host, host.replace("127.0.0.1", "localhost")):
            r = requests.post(base + "/_ess-local/console/call", json=console_call, timeout=10,
                              headers={"Origin": f"http://{h}", "Host": h})
            assert r.status_code == 200, r.text
            assert [v["VpcId"] for v in r.json()["Vpcs"]["Vpc"]] == [vpc_id]
        # A same-origin console call that is not JSON is refused (a form cannot preflight).
        r = requests.post(base + "/_ess-local/console/call", data={"a": "b"}, timeout=10, headers={"Origin": base})
        assert (r.status_code, r.json()["Code"]) == (403, "Forbidden.ConsoleOrigin")
    finally:
        proc.stop()
        backend.close()
