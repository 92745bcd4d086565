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

// retryText is the message of a backup that failed and waits to try
// again (still InProgress), or '' when it is not retrying.
export function retryText(b) {
  if (b.state !== 'InProgress' && b.state !== 'Pending') return '';
  const m = b.error || (b.messages && b.messages.retry) || '';
  if (!m) return '';
  return /^retrying/i.test(m) ? 'R' + m.slice(1) : `Retrying: ${m}`;
}

// bbiStateCell is stateCell for a backup backing image: the error of one
// in Error; a muted line, not an error, for one that is retrying.
export function bbiStateCell(b) {
  const retry = retryText(b);
  if (!retry) return stateCell(b.state || '', b.progress, b.state === 'Error' ? b.error : '');
  return html`${stateCell(b.state, b.progress)}<div class="msg msg-retry" title="${retry}">${retry}</div>`;
}

// existingOn splits the backups of images on target as the server treats
// them: one in Error is replaced by a new backup (replace); one in any
// other state refuses a new backup (block).
export function existingOn(backups, images, target) {
  const replace = [];
  const block = [];
  for (const b of backups) {
    if (b.backupTargetName !== target || !images.includes(b.backingImageName)) continue;
    (b.state === 'Error' ? replace : block).push(b);
  }
  return { replace, block };
}

// blockReason says why the existing backup b refuses a new backup of its
// image to its target.
export function blockReason(b) {
  if (b.state === 'Completed') return `already backed up as ${b.name} (Completed)`;
  if (b.state === 'Deleting') return `its backup ${b.name} is being deleted`;
  return `being backed up as ${b.name} (${(labels[b.state || ''] ?? b.state) || 'New'})`;
}

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

// targetUsable says whether n images can be backed up to t: it is
// available and at least one image has no backup there that blocks it.
export const targetUsable = (t, ex, n) => t.available && !(ex.block.length > 0 && ex.block.length >= n);

// targetOption renders one <option> of a backup-target picker for n
// images whose existing backups on t are ex (see existingOn): a target
// that is unavailable, or where every image is already backed up, is
// disabled and says why; failed backups to be replaced are named.
export function targetOption(t, selected, ex = { replace: [], block: [] }, n = 1) {
  let why = '';
  if (!t.available) why = `unavailable${t.message ? ': ' + t.message : ''}`;
  else if (n === 1 && ex.block.length) why = blockReason(ex.block[0]);
  else if (n === 1 && ex.replace.length) why = `replaces failed backup ${ex.replace[0].name}`;
  else {
    const parts = [];
    if (ex.block.length) parts.push(`${ex.block.length} of ${n} already backed up`);
    if (ex.replace.length) parts.push(`${ex.replace.length} failed backup${ex.replace.length > 1 ? 's' : ''} to replace`);
    why = parts.join(', ');
  }
  const off = !targetUsable(t, ex, n);
  return html`<option value="${t.name}" ${off ? html`disabled` : ''} ${selected ? html`selected` : ''}>${t.name}${why ? ' — ' + why : ''}</option>`;
}
