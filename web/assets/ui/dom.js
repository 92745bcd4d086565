// dom.js: small helpers shared by every page: escaping HTML templates,
// formatting, toasts, focus-preserving table renders and clipboard.

class Raw {
  constructor(s) { this.s = s; }
  toString() { return this.s; }
}

// raw marks s as already-safe HTML for html``.
export const raw = (s) => new Raw(String(s));

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => escapes[c]);

function part(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

// html is a template tag that escapes every interpolated value unless it is
// raw() or itself the result of html``; arrays are joined.
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => { out += part(v) + strings[i + 1]; });
  return new Raw(out);
}

// bytes formats a size in binary units ("1.5 GiB"); 0 or missing is "–".
export function bytes(n) {
  if (!n || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

// dateFmt is built once: toLocaleString with options builds a new
// formatter on every call, which dominates rendering 1,000 rows.
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });

// when formats an RFC 3339 time as a short local date and time.
export function when(t) {
  if (!t) return '–';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return dateFmt.format(d);
}

// timeCell renders a time with its full ISO form as a tooltip.
export const timeCell = (t) => html`<time datetime="${t || ''}" title="${t || ''}">${when(t)}</time>`;

// toast shows a message at the top right. Errors stay until dismissed or
// 10 s pass; others leave after 5 s. body may be html`` for links.
export function toast(body, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.innerHTML = html`<div class="toast-body">${body}</div><button type="button" class="icon-btn" aria-label="Dismiss">×</button>`.s;
  el.querySelector('button').addEventListener('click', () => el.remove());
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 10000 : 5000);
  return el;
}

// errorToast shows err's message (the server's, for an ApiError).
export const errorToast = (err, prefix) => toast(prefix ? `${prefix}: ${err.message}` : err.message, 'error');

// setRows replaces the rows of tbody with one innerHTML assignment, and
// puts keyboard focus back on the same control of the same row if it was
// inside: live refreshes must not throw a keyboard user out of the table.
// Rows carry data-key; focusable controls carry data-f.
export function setRows(tbody, rowsHTML) {
  const active = document.activeElement;
  let key = null;
  let f = null;
  if (active && tbody.contains(active)) {
    key = active.closest('[data-key]')?.dataset.key ?? null;
    f = active.dataset.f ?? null;
  }
  tbody.innerHTML = rowsHTML;
  if (key !== null && f !== null) {
    const row = [...tbody.querySelectorAll('[data-key]')].find((r) => r.dataset.key === key);
    row?.querySelector(`[data-f="${CSS.escape(f)}"]`)?.focus();
  }
}

// copyText copies text to the clipboard and says so.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    if (!ok) {
      toast('Copy failed: select the text and copy it by hand', 'error');
      return;
    }
  }
  toast('Copied to the clipboard', 'success');
}

// debounce returns fn delayed until ms have passed without another call.
export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// progress renders a <progress> bar with its percentage as text.
export const progress = (p) => html`<span class="prog"><progress max="100" value="${p || 0}"></progress><span>${p || 0}%</span></span>`;

// emptyRow renders a full-width table row holding an empty-state message.
export const emptyRow = (cols, body) => html`<tr class="empty"><td colspan="${cols}">${body}</td></tr>`.s;

// focusLater remembers el and returns a function that puts focus back on
// it, or on the control that replaced it when a live refresh re-rendered
// its table row (rows carry data-key, their controls data-f).
export function focusLater(el) {
  const key = el?.closest?.('[data-key]')?.dataset.key;
  const f = el?.dataset?.f;
  return () => {
    let target = el && el.isConnected ? el : null;
    if (!target && key !== undefined && f) {
      target = [...document.querySelectorAll(`[data-key] [data-f="${CSS.escape(f)}"]`)]
        .find((x) => x.closest('[data-key]').dataset.key === key) || null;
    }
    target?.focus();
  };
}
