// dialog.js: modal dialogs (native <dialog>: focus trap and Escape for
// free), confirmations and the row/page action menus.
import { focusLater, html } from './dom.js';

// dialog opens a modal form. body is html``; onSubmit(ctx) runs on submit
// and may be async: a thrown error is shown inside the dialog with the
// server's message, and the dialog stays open. ctx offers el, close(),
// error(msg) and busy(bool). Returns ctx.
export function dialog({ title, body, submit = 'OK', danger = false, cancel = 'Cancel', onSubmit, wide = false, onClose }) {
  const el = document.createElement('dialog');
  el.className = wide ? 'dlg dlg-wide' : 'dlg';
  el.innerHTML = html`<form method="dialog" novalidate>
    <header><h2>${title}</h2><button type="button" class="icon-btn" data-close aria-label="Close">×</button></header>
    <div class="dlg-body">${body}</div>
    <div class="dlg-error" role="alert" hidden></div>
    <footer>
      <button type="button" class="btn" data-close>${cancel}</button>
      ${submit ? html`<button type="submit" class="btn ${danger ? 'btn-danger' : 'btn-primary'}" data-submit>${submit}</button>` : ''}
    </footer></form>`.s;
  const form = el.querySelector('form');
  const errBox = el.querySelector('.dlg-error');
  const returnFocus = focusLater(document.activeElement);
  let locked = false;
  const ctx = {
    el,
    form,
    close() {
      el.close();
    },
    error(msg) {
      errBox.textContent = msg;
      errBox.hidden = !msg;
    },
    busy(on) {
      el.querySelectorAll('[data-submit]').forEach((b) => { b.disabled = on; b.classList.toggle('is-busy', on); });
    },
    // lock keeps the dialog open (Escape and Close do nothing) while on.
    lock(on) { locked = on; },
  };
  el.addEventListener('cancel', (e) => { if (locked) e.preventDefault(); });
  el.addEventListener('click', (e) => {
    if (locked) return;
    // A link leads to another page: the dialog belongs to this one.
    if (e.target.closest('[data-close], a[href^="#"]')) ctx.close();
  });
  const onRoute = () => { if (!locked) ctx.close(); };
  window.addEventListener('hashchange', onRoute);
  el.addEventListener('close', () => {
    window.removeEventListener('hashchange', onRoute);
    el.remove();
    onClose?.();
    // The close event comes a moment later: leave focus alone if the
    // user has already moved it somewhere.
    const a = document.activeElement;
    if (!a || a === document.body || !a.isConnected) returnFocus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!onSubmit) return ctx.close();
    if (!form.reportValidity()) return;
    ctx.error('');
    ctx.busy(true);
    try {
      await onSubmit(ctx);
    } catch (err) {
      ctx.error(err.message);
    } finally {
      ctx.busy(false);
    }
  });
  document.body.append(el);
  el.showModal();
  const first = el.querySelector('.dlg-body [autofocus], .dlg-body input:not([type=hidden]):not([disabled]), .dlg-body select, [data-submit]');
  first?.focus();
  return ctx;
}

// confirm asks a yes/no question; it resolves true when confirmed.
export function confirm({ title, body, ok = 'OK', danger = false }) {
  return new Promise((resolve) => {
    let yes = false;
    dialog({
      title, body, submit: ok, danger,
      onSubmit: (ctx) => { yes = true; ctx.close(); },
      onClose: () => resolve(yes),
    });
  });
}

let openMenuEl = null;

function closeMenu(restore) {
  if (!openMenuEl) return;
  const { el, anchor, back } = openMenuEl;
  openMenuEl = null;
  el.remove();
  anchor.setAttribute('aria-expanded', 'false');
  if (restore) back();
}

// menu opens a list of actions under anchor. items: {label, onClick,
// disabled, title, danger}. Arrow keys move, Enter runs, Escape closes.
export function menu(anchor, items) {
  if (openMenuEl && openMenuEl.anchor === anchor) {
    closeMenu(true);
    return;
  }
  closeMenu(false);
  const el = document.createElement('div');
  el.className = 'menu';
  el.setAttribute('role', 'menu');
  el.innerHTML = items.map((it, i) => html`<button type="button" role="menuitem" data-i="${i}"
      class="${it.danger ? 'danger' : ''}" ${it.disabled ? html`aria-disabled="true"` : ''} title="${it.title || ''}">${it.label}</button>`.s).join('');
  document.body.append(el);
  const r = anchor.getBoundingClientRect();
  const left = Math.min(r.right - el.offsetWidth, window.innerWidth - el.offsetWidth - 8);
  const below = r.bottom + 4 + el.offsetHeight < window.innerHeight;
  el.style.left = `${Math.max(8, left)}px`;
  el.style.top = `${below ? r.bottom + 4 : r.top - el.offsetHeight - 4}px`;
  anchor.setAttribute('aria-expanded', 'true');
  openMenuEl = { el, anchor, back: focusLater(anchor) };
  const buttons = [...el.querySelectorAll('button')];
  el.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || b.getAttribute('aria-disabled') === 'true') return;
    closeMenu(true);
    items[Number(b.dataset.i)].onClick();
  });
  el.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') buttons[(i + 1) % buttons.length].focus();
    else if (e.key === 'ArrowUp') buttons[(i - 1 + buttons.length) % buttons.length].focus();
    else if (e.key === 'Escape' || e.key === 'Tab') closeMenu(true);
    else return;
    e.preventDefault();
  });
  (buttons.find((b) => b.getAttribute('aria-disabled') !== 'true') || buttons[0])?.focus();
}

document.addEventListener('mousedown', (e) => {
  if (openMenuEl && !openMenuEl.el.contains(e.target) && e.target !== openMenuEl.anchor) closeMenu(false);
});
window.addEventListener('hashchange', () => closeMenu(false));
window.addEventListener('resize', () => closeMenu(false));
