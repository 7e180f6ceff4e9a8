// Rendering helpers: escaping templates, tables built as one string (one innerHTML pass per
// render, no per-row DOM work), dialogs, and the error/notice area.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

class Raw { constructor(s) { this.s = s; } toString() { return this.s; } }
export const raw = (s) => new Raw(s);

function part(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

/** A template whose interpolations are escaped unless wrapped in raw() (or made by html``). */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Raw(out);
}

const STATE_CLASS = {
  Active: 'ok', InService: 'ok', Running: 'ok', Available: 'ok', Successful: 'ok', Success: 'ok', Normal: 'ok', Healthy: 'ok',
  Inactive: 'off', Stopped: 'off', Released: 'off', Cancelled: 'off',
  Pending: 'busy', 'Pending:Wait': 'wait', 'Removing:Wait': 'wait', Removing: 'busy', InProgress: 'busy', Creating: 'busy',
  Deleting: 'busy', Running_: 'busy', Queued: 'busy', Waiting: 'wait', Standby: 'wait', Protected: 'wait',
  Failed: 'bad', Rejected: 'bad', Unhealthy: 'bad', Warning: 'bad', Abandoned: 'bad',
};
export const badge = (s) => html`<span class="badge ${STATE_CLASS[s] || 'neutral'}">${s || '—'}</span>`;

/** A table: columns are [header, (row) => cell (string or html)]; one string for all rows. */
export function table(caption, columns, rows, { empty = 'None yet.', id = '' } = {}) {
  if (!rows.length) return html`<p class="empty" ${id ? raw(`id="${esc(id)}"`) : ''}>${caption ? html`<span class="sr-only">${caption}: </span>` : ''}${empty}</p>`;
  const head = columns.map(([h]) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${columns.map(([, f]) => `<td>${part(f(r))}</td>`).join('')}</tr>`)
    .join('');
  return raw(`<div class="table-wrap" ${id ? `id="${esc(id)}"` : ''}><table>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`);
}

export const link = (href, text) => html`<a href="${href}">${text}</a>`;
export const mono = (s) => html`<code>${s}</code>`;

// ---- notices ---------------------------------------------------------------------------------

export function showError(e) {
  const box = document.getElementById('notices');
  const code = e.code || 'Error';
  const msg = e.apiMessage ?? e.message;
  const el = document.createElement('div');
  el.className = 'notice error';
  el.setAttribute('role', 'alert');
  el.innerHTML = html`<strong class="code">${code}</strong> <span class="message">${msg}</span>
    ${e.action ? html`<span class="muted">(${e.action}${e.requestId ? html`, RequestId ${e.requestId}` : ''})</span>` : ''}
    <button type="button" class="close" aria-label="Dismiss">×</button>`.s;
  el.querySelector('.close').addEventListener('click', () => el.remove());
  box.prepend(el);
  while (box.children.length > 4) box.lastElementChild.remove();
}

export function showOk(text) {
  const box = document.getElementById('notices');
  const el = document.createElement('div');
  el.className = 'notice ok';
  el.setAttribute('role', 'status');
  el.textContent = text;
  for (const old of box.querySelectorAll('.notice.ok')) old.remove();
  box.prepend(el);
  setTimeout(() => el.remove(), 4000);
}

// ---- dialogs ---------------------------------------------------------------------------------

/** Opens a modal form. `body` is html; `onSubmit(form, data)` may throw an ApiError, which is
 * shown inside the dialog (with its Code and Message) and keeps it open. */
export function dialog(title, body, onSubmit, { submit = 'OK', wide = false } = {}) {
  const d = document.getElementById('dialog');
  d.className = wide ? 'wide' : '';
  d.innerHTML = html`<form method="dialog" novalidate>
      <h2 id="dialog-title">${title}</h2>
      <div class="dialog-body">${body}</div>
      <div class="dialog-error" role="alert" hidden></div>
      <div class="dialog-actions">
        <button type="button" class="secondary" data-cancel>Cancel</button>
        <button type="submit" class="primary">${submit}</button>
      </div>
    </form>`.s;
  d.setAttribute('aria-labelledby', 'dialog-title');
  const form = d.querySelector('form');
  const errBox = d.querySelector('.dialog-error');
  d.querySelector('[data-cancel]').addEventListener('click', () => d.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    errBox.hidden = true;
    try {
      await onSubmit(form, new FormData(form));
      d.close();
      window.dispatchEvent(new Event('esl:changed'));
    } catch (e) {
      errBox.hidden = false;
      errBox.innerHTML = html`<strong class="code">${e.code || 'Error'}</strong> <span class="message">${e.apiMessage ?? e.message}</span>`.s;
      window.dispatchEvent(new Event('esl:changed'));
    } finally {
      btn.disabled = false;
    }
  });
  d.showModal();
  const first = form.querySelector('input:not([type=hidden]),select,textarea');
  if (first) first.focus();
  return d;
}

/** A labelled field. */
export function field(label, name, { type = 'text', value = '', required = false, min, max, placeholder = '', help = '', list = '' } = {}) {
  const id = `f-${name}`;
  return html`<div class="field">
    <label for="${id}">${label}${required ? html` <span aria-hidden="true" class="req">*</span>` : ''}</label>
    <input id="${id}" name="${name}" type="${type}" value="${value}" ${required ? raw('required') : ''}
      ${min !== undefined ? raw(`min="${esc(min)}"`) : ''} ${max !== undefined ? raw(`max="${esc(max)}"`) : ''}
      placeholder="${placeholder}" ${list ? raw(`list="${esc(list)}"`) : ''} ${help ? raw(`aria-describedby="${id}-help"`) : ''}>
    ${help ? html`<p class="help" id="${id}-help">${help}</p>` : ''}
  </div>`;
}

export function select(label, name, options, { value = '', required = false, help = '' } = {}) {
  const id = `f-${name}`;
  return html`<div class="field">
    <label for="${id}">${label}${required ? html` <span aria-hidden="true" class="req">*</span>` : ''}</label>
    <select id="${id}" name="${name}" ${required ? raw('required') : ''} ${help ? raw(`aria-describedby="${id}-help"`) : ''}>
      ${options.map(([v, t]) => html`<option value="${v}" ${v === value ? raw('selected') : ''}>${t}</option>`)}
    </select>
    ${help ? html`<p class="help" id="${id}-help">${help}</p>` : ''}
  </div>`;
}

export function checkbox(label, name, { checked = false, value = 'on', id = '' } = {}) {
  const fid = id || `f-${name}-${value}`.replace(/[^\w-]/g, '_');
  return html`<div class="check"><input type="checkbox" id="${fid}" name="${name}" value="${value}" ${checked ? raw('checked') : ''}>
    <label for="${fid}">${label}</label></div>`;
}

export const when = (s) => (s ? String(s).replace('T', ' ').replace('Z', ' UTC') : '—');
