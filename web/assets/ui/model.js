// model.js: what the UI derives from resources: a backing image's overall
// state, whether it can be backed up (and why not), state badges.
import { html, progress } from './dom.js';

// copies returns the image's per-disk copy states as [diskUUID, status].
export const copies = (bi) => Object.entries(bi.diskFileStatusMap || {});

// readyCopies counts the copies in state ready.
export const readyCopies = (bi) => copies(bi).filter(([, c]) => c.state === 'ready').length;

// summary folds the copies into one state for the list: deleting, ready,
// in-progress (with the highest progress), failed (with a message),
// pending, or unknown.
export function summary(bi) {
  if (bi.deletionTimestamp) return { state: 'deleting' };
  const cs = copies(bi).map(([, c]) => c);
  if (cs.some((c) => c.state === 'ready')) return { state: 'ready' };
  const moving = cs.filter((c) => c.state === 'in-progress');
  if (moving.length) return { state: 'in-progress', progress: Math.max(...moving.map((c) => c.progress || 0)) };
  const failed = cs.find((c) => c.state === 'failed');
  if (failed && !cs.some((c) => c.state === 'pending')) return { state: 'failed', message: failed.message };
  if (cs.length === 0 || cs.some((c) => c.state === 'pending')) return { state: 'pending' };
  return { state: cs[0].state || 'unknown', message: cs[0].message };
}

// backupBlocker says why bi cannot be backed up now, or '' if it can.
export function backupBlocker(bi) {
  if (!bi) return 'not found: it was deleted';
  if (bi.deletionTimestamp) return 'being deleted';
  if (readyCopies(bi) === 0) return 'not ready: no ready copy';
  return '';
}

const tone = {
  ready: 'ok', completed: 'ok', available: 'ok',
  'in-progress': 'busy', inprogress: 'busy', pending: 'wait', '': 'wait', new: 'wait',
  failed: 'bad', error: 'bad', unavailable: 'bad', deleting: 'muted', unknown: 'muted',
};

const labels = { '': 'New', 'in-progress': 'In progress', InProgress: 'In progress' };

// badge renders a coloured state label.
export function badge(state, title) {
  const key = String(state).toLowerCase();
  const text = labels[state] ?? (state ? state[0].toUpperCase() + state.slice(1) : 'New');
  return html`<span class="badge badge-${tone[key] || 'muted'}" title="${title || ''}">${text}</span>`;
}

// stateCell renders a badge, a progress bar while work is under way, and
// the message (errors) below.
export function stateCell(state, pct, message) {
  const moving = state === 'in-progress' || state === 'InProgress';
  return html`${badge(state, message)}${moving ? progress(pct) : ''}${message ? html`<div class="msg">${message}</div>` : ''}`;
}

// biStateCell is stateCell for a backing image's summary.
export function biStateCell(bi) {
  const s = summary(bi);
  return stateCell(s.state, s.progress, s.state === 'failed' ? s.message : '');
}

// bbiStateCell is stateCell for a backup backing image.
export const bbiStateCell = (b) => stateCell(b.state || '', b.progress, b.state === 'Error' ? b.error : '');

// sourceText describes where an image came from, in a few words.
export function sourceText(bi) {
  const p = bi.parameters || {};
  switch (bi.sourceType) {
    case 'download': {
      try { return `download from ${new URL(p.url).host}`; } catch { return 'download'; }
    }
    case 'restore': return 'restore from backup';
    default: return bi.sourceType || '–';
  }
}

// byName sorts resources by name, numerically aware.
export const byName = (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true });

// targetOption renders one <option> of a backup-target picker: targets
// that are unavailable are disabled and say why.
export function targetOption(t, selected) {
  const why = t.available ? '' : ` — unavailable${t.message ? ': ' + t.message : ''}`;
  return html`<option value="${t.name}" ${t.available ? '' : html`disabled`} ${selected ? html`selected` : ''}>${t.name}${why}</option>`;
}
