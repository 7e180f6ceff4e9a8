"""Fixtures for the black-box conformance suite.

One `ess-local serve --clock virtual` process is started per session (from $ESS_LOCAL_BIN, default
<repo>/target/debug/ess-local) and killed at the end. $ESS_LOCAL_SERVE_ARGS adds `serve` arguments
(shell words), e.g. "--database-url postgres://postgres@127.0.0.1:5432/test?schema=s1" to run the
whole suite on PostgreSQL. Tests reach it only through the official SDKs
or raw signed HTTP, and move time only through `advance(seconds)`; nothing sleeps.
"""
from __future__ import annotations

import os
import queue
import re
import shlex
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import esl_schema
from esl_helpers import Clients, Net, create_net, release_all_groups

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "ess-local"
STARTUP_TIMEOUT = 20.0

esl_schema.install_hooks()


@dataclass
class Server:
    host: str
    port: int
    account_id: str
    access_key_id: str
    access_key_secret: str
    log_path: str
    proc: subprocess.Popen

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.endpoint}"

    def log_tail(self, n: int = 60) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


_BANNER = re.compile(r"^\s*(endpoint|account id|access key id|access key secret)\s*:\s*(\S+)\s*$", re.I)
_SERVER: Server | None = None


def _pump(stream, log, q: "queue.Queue[str | None]") -> None:
    """Copy the server's stdout to the log (so the pipe never fills) and hand lines to the reader."""
    for line in stream:
        log.write(line)
        log.flush()
        q.put(line)
    q.put(None)


@pytest.fixture(scope="session")
def server():
    global _SERVER
    binary = Path(os.environ.get("ESS_LOCAL_BIN", str(DEFAULT_BIN)))
    if not binary.is_file():
        pytest.fail(f"ess-local binary not found at {binary} (build it, or set ESS_LOCAL_BIN)", pytrace=False)
    log_fd, log_path = tempfile.mkstemp(prefix="ess-local-conformance-", suffix=".log")
    log = os.fdopen(log_fd, "w", encoding="utf-8")
    extra = shlex.split(os.environ.get("ESS_LOCAL_SERVE_ARGS", ""))
    proc = subprocess.Popen(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--clock", "virtual", *extra],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        cwd=str(REPO_ROOT),
    )
    lines: "queue.Queue[str | None]" = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, log, lines), daemon=True).start()

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    info: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while len(info) < 4:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"ess-local printed only {sorted(info)} within {STARTUP_TIMEOUT}s")
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"ess-local exited (code {proc.wait()}) before printing its banner")
            m = _BANNER.match(line)
            if m:
                info[m.group(1).lower()] = m.group(2)
        endpoint = info["endpoint"]
        if "://" in endpoint:
            endpoint = urllib.parse.urlsplit(endpoint).netloc
        host, _, port = endpoint.rpartition(":")
        srv = Server(host, int(port), info["account id"], info["access key id"], info["access key secret"], log_path, proc)
        assert re.fullmatch(r"\d{16}", srv.account_id), f"account id must be 16 digits: {srv.account_id!r}"
        while True:
            try:
                if requests.get(f"{srv.base_url}/_ess-local/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("ess-local never answered GET /_ess-local/health with 200")
            time.sleep(0.05)  # startup polling only; tests themselves never sleep
    except BaseException as e:
        stop()
        log.close()
        with open(log_path, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-4000:]
        pytest.fail(f"could not start ess-local: {e}\n--- server output ---\n{tail}", pytrace=False)
    _SERVER = srv
    yield srv
    _SERVER = None
    stop()
    log.close()


@pytest.fixture(scope="session")
def advance(server):
    """advance(seconds) moves the virtual clock; it returns once all work due by then has run."""
    last: dict[str, str] = {}

    def _advance(seconds: int) -> str:
        r = requests.post(f"{server.base_url}/_ess-local/clock/advance", params={"seconds": seconds}, timeout=60)
        assert r.status_code == 200, f"clock advance failed: HTTP {r.status_code} {r.text}"
        now = r.json()["Now"]
        assert isinstance(now, str) and now.endswith("Z"), now
        last["now"] = now
        return now

    return _advance


def _config(server, **kw):
    from alibabacloud_tea_openapi.models import Config

    args = dict(
        access_key_id=server.access_key_id,
        access_key_secret=server.access_key_secret,
        endpoint=server.endpoint,
        protocol="http",
        region_id="cn-hangzhou",
    )
    args.update(kw)
    return Config(**args)


@pytest.fixture(scope="session")
def tea_config(server):
    """Factory for Tea Config objects pointed at the server (overrides allowed)."""
    return lambda **kw: _config(server, **kw)


@pytest.fixture(scope="session")
def ess(server):
    from alibabacloud_ess20220222.client import Client

    return Client(_config(server))


@pytest.fixture(scope="session")
def ecs(server):
    from alibabacloud_ecs20140526.client import Client

    return Client(_config(server))


@pytest.fixture(scope="session")
def vpc(server):
    from alibabacloud_vpc20160428.client import Client

    return Client(_config(server))


@pytest.fixture(scope="session")
def rds(server):
    from alibabacloud_rds20140815.client import Client

    return Client(_config(server))


def _product_client(name: str, module: str):
    """A session-wide Tea client of another product (OOS and the ApsaraDB databases)."""

    @pytest.fixture(scope="session", name=name)
    def fixture(tea_config):
        import importlib

        return importlib.import_module(f"{module}.client").Client(tea_config())

    return fixture


oos = _product_client("oos", "alibabacloud_oos20190601")
polardb = _product_client("polardb", "alibabacloud_polardb20170801")
dds = _product_client("dds", "alibabacloud_dds20151201")
adb = _product_client("adb", "alibabacloud_adb20190315")
gpdb = _product_client("gpdb", "alibabacloud_gpdb20160503")
kvstore = _product_client("kvstore", "alibabacloud_r_kvstore20150101")


@pytest.fixture(scope="session")
def clients(ess, ecs, vpc, rds) -> Clients:
    return Clients(ess=ess, ecs=ecs, vpc=vpc, rds=rds)


class CoreClient:
    """The old core SDK (aliyun-python-sdk-core, V2 HMAC-SHA1 signatures; it adds RegionId itself).

    Each request is pointed at the server with set_endpoint + set_protocol_type("http");
    `do` returns the parsed JSON (the raw bytes were already schema-checked by the hook)."""

    def __init__(self, server, access_key_id=None, access_key_secret=None):
        from aliyunsdkcore.client import AcsClient

        self.server = server
        self.acs = AcsClient(
            access_key_id or server.access_key_id, access_key_secret or server.access_key_secret, "cn-hangzhou"
        )

    def prepare(self, request):
        request.set_endpoint(self.server.endpoint)
        request.set_protocol_type("http")
        return request

    def do(self, request) -> dict:
        import json

        return json.loads(self.acs.do_action_with_exception(self.prepare(request)))


@pytest.fixture(scope="session")
def core(server) -> CoreClient:
    return CoreClient(server)


@pytest.fixture(scope="session")
def core_factory(server):
    return lambda ak=None, secret=None: CoreClient(server, ak, secret)


@pytest.fixture(autouse=True)
def release_groups(clients):
    """After each test, force-delete the scaling groups it left (the suite shares one server, whose
    quota is 100 scaling groups per region)."""
    yield
    release_all_groups(clients)


@pytest.fixture
def name(request) -> str:
    """A fresh name prefix per test (all tests share one server)."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)[:32].strip("-")
    return f"t-{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def net(clients, name) -> Net:
    """A fresh VPC 10.0.0.0/16 with vSwitches 10.0.1.0/24 (instances) and 10.0.2.0/24 (databases)
    in cn-hangzhou-h, and a security group in the VPC."""
    return create_net(clients, name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _SERVER is not None:
        rep.sections.append(("ess-local output (tail)", _SERVER.log_tail()))


def pytest_terminal_summary(terminalreporter):
    if esl_schema.VALIDATED:
        total = sum(esl_schema.VALIDATED.values())
        terminalreporter.write_line(
            f"schema-checked {total} responses across {len(esl_schema.VALIDATED)} (version, action) pairs"
        )


def pytest_report_header(config):
    extra = os.environ.get("ESS_LOCAL_SERVE_ARGS", "")
    return f"ess-local serve extra arguments: {extra or '(none: SQLite in memory)'}"
