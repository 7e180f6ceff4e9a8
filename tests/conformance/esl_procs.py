"""Own ess-local processes for the crash and concurrency tests (test_crash_safety.py,
test_concurrency.py): they start, SIGKILL and restart servers of their own instead of using the
session server, on a storage backend given as a parameter:

  * "sqlite": `--data-dir <tmpdir>` (SQLite on disk), always;
  * "postgres": `--database-url <ESS_LOCAL_TEST_DATABASE_URL with a fresh schema>`, only when that
    variable is set; skipped (with the reason) when this build of `serve` has no --database-url or
    no client can create the schema.

SDK clients are Tea clients built from Config objects pointing at the process's endpoint, which is
re-read from the banner on every start (the port is 0: a restart may get another one).
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "ess-local"
DB_URL_ENV = "ESS_LOCAL_TEST_DATABASE_URL"
_BANNER = re.compile(r"^\s*(endpoint|account id|access key id|access key secret)\s*:\s*(\S+)\s*$", re.I)


def binary() -> Path:
    b = Path(os.environ.get("ESS_LOCAL_BIN", str(DEFAULT_BIN)))
    if not b.is_file():
        pytest.fail(f"ess-local binary not found at {b} (build it, or set ESS_LOCAL_BIN)", pytrace=False)
    return b


def backend_params() -> list:
    out = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(DB_URL_ENV):
        out.append(pytest.param("postgres", id="postgres"))
    return out


def _serve_help() -> str:
    r = subprocess.run([str(binary()), "serve", "--help"], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def _with_search_path(url: str, schema: str) -> str:
    parts = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(parts.query)
    q = [(k, v) for k, v in q if k != "options"] + [("options", f"-csearch_path={schema}")]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def _psql(url: str, sql: str) -> None:
    psql = shutil.which("psql")
    if psql is None:
        raise RuntimeError("no psql on PATH to create the test schema")
    r = subprocess.run([psql, url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"psql: {r.stderr.strip()}")


class Backend:
    """Where a test's processes keep their state; `args` go to every `serve` of the test."""

    def __init__(self, kind: str):
        self.kind = kind
        self.tmp = tempfile.mkdtemp(prefix=f"ess-local-{kind}-")
        self.schema: str | None = None
        if kind == "sqlite":
            self.args = ["--data-dir", os.path.join(self.tmp, "data")]
            return
        base = os.environ[DB_URL_ENV]
        if "--database-url" not in _serve_help():
            pytest.skip("this ess-local build has no `serve --database-url` yet (the PostgreSQL backend lands "
                        "in another branch); the PostgreSQL variant runs once it is merged")
        self.schema = f"esl_test_{uuid.uuid4().hex[:12]}"
        try:
            _psql(base, f'CREATE SCHEMA "{self.schema}"')
        except RuntimeError as e:
            pytest.skip(f"cannot create a fresh PostgreSQL schema at {base}: {e}")
        self.base_url = base
        self.args = ["--database-url", _with_search_path(base, self.schema)]

    def close(self) -> None:
        if self.schema is not None:
            try:
                _psql(self.base_url, f'DROP SCHEMA "{self.schema}" CASCADE')
            except RuntimeError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class Proc:
    """One running `ess-local serve`."""

    popen: subprocess.Popen
    endpoint: str
    account_id: str
    access_key_id: str
    access_key_secret: str
    log_path: str
    _clients: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.endpoint}"

    def config(self, **kw: Any):
        from alibabacloud_tea_openapi.models import Config

        args = dict(access_key_id=self.access_key_id, access_key_secret=self.access_key_secret,
                    endpoint=self.endpoint, protocol="http", region_id="cn-hangzhou")
        args.update(kw)
        return Config(**args)

    def client(self, product: str, fresh: bool = False):
        """A Tea client of `product` (ess, ecs, vpc, rds, polardb, oos); cached unless fresh."""
        import alibabacloud_ecs20140526.client as ecs
        import alibabacloud_ess20220222.client as ess
        import alibabacloud_oos20190601.client as oos
        import alibabacloud_polardb20170801.client as polardb
        import alibabacloud_rds20140815.client as rds
        import alibabacloud_vpc20160428.client as vpc

        mods = {"ess": ess, "ecs": ecs, "vpc": vpc, "rds": rds, "polardb": polardb, "oos": oos}
        if fresh:
            return mods[product].Client(self.config())
        if product not in self._clients:
            self._clients[product] = mods[product].Client(self.config())
        return self._clients[product]

    def advance(self, seconds: float, timeout: float = 120) -> dict:
        r = requests.post(f"{self.base_url}/_ess-local/clock/advance", params={"seconds": seconds}, timeout=timeout)
        assert r.status_code == 200, f"clock advance failed: HTTP {r.status_code} {r.text}"
        return r.json()

    def clock_ms(self) -> int:
        return requests.get(f"{self.base_url}/_ess-local/clock", timeout=10).json()["NowMs"]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was committed is all that is left."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def start(backend: Backend, *extra: str, timeout: float = 20.0, env: dict[str, str] | None = None,
          clock: str = "virtual") -> Proc:
    """Starts `ess-local serve --clock <clock> --port 0 <backend args> <extra>` (`env` added to the
    environment) and waits for its banner and its health route."""
    fd, log_path = tempfile.mkstemp(prefix="ess-local-proc-", suffix=".log", dir=backend.tmp)
    log = os.fdopen(fd, "a", encoding="utf-8")
    popen = subprocess.Popen(
        [str(binary()), "serve", "--host", "127.0.0.1", "--port", "0", "--clock", clock, *backend.args, *extra],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True, bufsize=1, cwd=str(REPO_ROOT),
        env={**os.environ, **(env or {})},
    )
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        for line in popen.stdout:
            log.write(line)
            log.flush()
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    info: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(info) < 4:
        left = deadline - time.monotonic()
        line = None
        if left > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                pass
        if line is None:
            popen.kill()
            popen.wait()
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-3000:]
            raise AssertionError(f"ess-local did not start (exit {popen.returncode}):\n{tail}")
        m = _BANNER.match(line)
        if m:
            info[m.group(1).lower()] = m.group(2)
    endpoint = info["endpoint"]
    if "://" in endpoint:
        endpoint = urllib.parse.urlsplit(endpoint).netloc
    proc = Proc(popen, endpoint, info["account id"], info["access key id"], info["access key secret"], log_path)
    while True:
        try:
            if requests.get(f"{proc.base_url}/_ess-local/health", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or popen.poll() is not None:
            proc.kill()
            raise AssertionError(f"ess-local never became healthy:\n{proc.log_tail()}")
        time.sleep(0.02)  # startup polling only
