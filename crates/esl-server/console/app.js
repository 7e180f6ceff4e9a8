// The console's shell: hash routing, the header (region, clock and advance buttons), the live
// refresh loop (every second: re-read the page's data through the actions and re-render only
// when something changed), and delegated event handling for the pages' buttons.

import { state, setRegion, clock, advance } from './api.js';
import { showError } from './ui.js';
import * as pages from './pages.js';
import * as groups from './groups.js';
import * as databases from './databases.js';

const ROUTES = [
  [/^$/, pages.overview],
  [/^network$/, pages.network],
  [/^groups$/, groups.list],
  [/^groups\/([\w-]+)$/, groups.detail],
  [/^groups\/([\w-]+)\/access$/, groups.access],
  [/^databases$/, databases.list],
  [/^databases\/(\w+)\/([\w-]+)$/, databases.detail],
  [/^oos$/, pages.oos],
  [/^oos\/executions\/([\w-]+)$/, pages.execution],
];

const view = () => document.getElementById('view');
let current = { page: null, args: [], html: '', seq: 0 };
let busy = false;
let navSeq = 0;
let navPending = false;

function route() {
  const path = location.hash.replace(/^#\/?/, '');
  for (const [re, page] of ROUTES) {
    const m = path.match(re);
    if (m) return [page, m.slice(1)];
  }
  return [pages.notFound, [path]];
}

function markNav() {
  const path = location.hash.replace(/^#\/?/, '');
  const top = path.split('/')[0];
  for (const a of document.querySelectorAll('nav a')) {
    const t = a.getAttribute('href').replace(/^#\/?/, '');
    if (t === top) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Loads the page's data and renders it in one innerHTML pass, keeping focus on the element
 * with the same data-key. Returns the time spent building and laying out the DOM. */
async function render(navigated) {
  // A navigation supersedes everything before it; a refresh never supersedes a navigation (it
  // is skipped while one is loading, and dropped if one started while it was loading).
  if (!navigated && navPending) return;
  const seq = ++current.seq;
  const nav = navigated ? ++navSeq : navSeq;
  if (navigated) navPending = true;
  const [page, args] = navigated ? route() : [current.page, current.args];
  let out;
  const t0 = performance.now();
  const stale = () => (navigated ? nav !== navSeq : nav !== navSeq || navPending || seq !== current.seq);
  try {
    out = String(await page.load(...args));
  } catch (e) {
    if (stale()) return;
    if (navigated) {
      navPending = false;
      out = `<h1>Error</h1><p class="empty">Could not load this page.</p>`;
      showError(e);
    } else return; // keep the last good view during a hiccup
  }
  if (stale()) return;
  if (navigated) navPending = false;
  const t1 = performance.now();
  if (navigated) {
    current.page = page;
    current.args = args;
    document.title = `${page.title ? (typeof page.title === 'function' ? page.title(...args) : page.title) + ' · ' : ''}ess-local console`;
    markNav();
  }
  if (out === current.html && !navigated) return;
  const el = view();
  const focusKey = document.activeElement?.closest?.('#view') ? document.activeElement.dataset.key : null;
  const t2 = performance.now();
  el.innerHTML = out;
  void el.offsetHeight; // include layout in the measurement
  const t3 = performance.now();
  current.html = out;
  window.__eslRender = { page: location.hash, loadMs: t1 - t0, domMs: t3 - t2, rows: el.querySelectorAll('tbody tr').length };
  if (focusKey) el.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  if (navigated) {
    const h1 = el.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  }
  el.dispatchEvent(new Event('esl:rendered', { bubbles: true }));
}

async function tick() {
  if (busy || document.hidden) return;
  busy = true;
  try {
    await Promise.all([render(false), updateClock()]);
  } finally {
    busy = false;
  }
}

let clockMode = null;
async function updateClock() {
  try {
    const c = await clock();
    document.getElementById('clock-now').textContent = c.Now.replace('T', ' ').replace('Z', ' UTC');
    if (c.Mode !== clockMode) {
      clockMode = c.Mode;
      document.getElementById('clock-mode').textContent = c.Mode === 'virtual' ? 'virtual clock' : 'real clock';
      document.getElementById('advance').hidden = c.Mode !== 'virtual';
    }
    return c;
  } catch (e) {
    document.getElementById('clock-now').textContent = 'ess-local is not answering';
    return null;
  }
}
export const clockInfo = () => ({ mode: clockMode });

async function onAdvance(ev) {
  const b = ev.target.closest('button[data-seconds]');
  if (!b) return;
  b.disabled = true;
  try {
    await advance(b.dataset.seconds);
    await Promise.all([render(false), updateClock()]);
  } catch (e) {
    showError(e);
  } finally {
    b.disabled = false;
  }
}

/** Page buttons carry data-action; the page's `actions[name](el)` runs it. */
async function onViewClick(ev) {
  const el = ev.target.closest('[data-action]');
  if (!el || !view().contains(el)) return;
  const fn = current.page?.actions?.[el.dataset.action];
  if (!fn) return;
  ev.preventDefault();
  try {
    await fn(el, ...current.args);
  } catch (e) {
    showError(e);
  }
  render(false);
}

function init() {
  const sel = document.getElementById('region');
  sel.value = state.region;
  if (sel.value !== state.region) {
    sel.add(new Option(state.region, state.region));
    sel.value = state.region;
  }
  sel.addEventListener('change', () => { setRegion(sel.value); render(true); });
  document.getElementById('advance').addEventListener('click', onAdvance);
  view().addEventListener('click', onViewClick);
  window.addEventListener('hashchange', () => render(true));
  window.addEventListener('esl:changed', () => render(false));
  updateClock();
  render(true);
  setInterval(tick, 1000);
}

init();
