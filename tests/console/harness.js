// Starts `ess-local serve --port 0 --clock virtual` (from $ESS_LOCAL_BIN, default
// <repo>/target/debug/ess-local), reads the endpoint from its banner, and launches Debian's
// headless Chromium through playwright-core. Nothing sleeps on the server's behalf: time moves
// only through POST /_ess-local/clock/advance.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
export const SCREENSHOTS = join(here, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function startServer() {
  const bin = process.env.ESS_LOCAL_BIN || join(REPO, 'target', 'debug', 'ess-local');
  if (!existsSync(bin)) throw new Error(`ess-local binary not found at ${bin} (build it, or set ESS_LOCAL_BIN)`);
  const proc = spawn(bin, ['serve', '--port', '0', '--clock', 'virtual'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const endpoint = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`no endpoint banner in 20 s:\n${out}\n${log}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^\s*endpoint\s*:\s*(\S+)\s*$/im);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`ess-local exited with ${code}:\n${out}\n${log}`)); });
  });
  const base = `http://${endpoint}`;
  return {
    base,
    proc,
    log: () => log,
    stop() { proc.kill('SIGTERM'); },
    /** One action through the console's own route (what the page itself uses). */
    async call(product, action, params = {}) {
      const res = await fetch(`${base}/_ess-local/console/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Product: product, Action: action, Parameters: { RegionId: 'cn-hangzhou', ...params } }),
      });
      const v = await res.json();
      if (!res.ok) throw new Error(`${action}: ${v.Code}: ${v.Message}`);
      return v;
    },
    async advance(seconds) {
      const res = await fetch(`${base}/_ess-local/clock/advance?seconds=${seconds}`, { method: 'POST' });
      if (!res.ok) throw new Error(`advance: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A page that fails the test on any uncaught script error. */
export async function newPage(browser, width = 1280, height = 900) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

export const shot = (page, name) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
