// backups.js: the Backups page (#/backups?target=&image=&state=&name=):
// every backup on every target, filters kept in the URL, bulk delete, and
// per-row Restore, Verify, Retry (of a failed backup), Delete and copy-URL.
import { action, del, path, post } from './api.js';
import { confirm, menu } from './dialog.js';
import { bytes, copyText, emptyRow, errorToast, html, setRows, timeCell, toast } from './dom.js';
import * as live from './live.js';
import { bbiStateCell, byName } from './model.js';
import { openRestoreDialog, verify } from './restore-dialog.js';

const COLS = 9;
const STATES = ['Pending', 'InProgress', 'Completed', 'Error', 'Deleting'];

function row(b, selected, focus) {
  return html`<tr data-key="${b.name}" class="${selected ? 'sel' : ''} ${focus ? 'focus' : ''}">
    <td class="chk"><input type="checkbox" data-f="check" aria-label="Select ${b.name}" ${selected ? html`checked` : ''}></td>
    <td class="mono">${b.name}</td>
    <td>${live.find('backingimages', b.backingImageName)
      ? html`<a href="#/images/${encodeURIComponent(b.backingImageName)}">${b.backingImageName}</a>` : b.backingImageName}</td>
    <td>${b.backupTargetName}</td>
    <td class="state">${bbiStateCell(b)}</td>
    <td class="num">${bytes(b.size)}</td>
    <td class="url">${b.url ? html`<span class="mono trunc" title="${b.url}">${b.url}</span>
      <button type="button" class="btn btn-sm" data-f="copy" aria-label="Copy URL of ${b.name}">Copy</button>` : '–'}</td>
    <td>${timeCell(b.created)}</td>
    <td class="act">${b.state === 'Error' ? html`<button type="button" class="btn btn-sm" data-f="retry" title="Run this failed backup again">Retry</button>`
      : html`<button type="button" class="btn btn-sm" data-f="restore" ${b.state === 'Completed' ? '' : html`disabled title="Only a completed backup can be restored"`}>Restore…</button>`}
      <button type="button" class="icon-btn" data-f="menu" aria-haspopup="menu" aria-label="More actions for ${b.name}">⋯</button></td>
  </tr>`.s;
}

function readFilters() {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  return { target: q.get('target') || '', image: q.get('image') || '', state: q.get('state') || '', name: q.get('name') || '' };
}

function writeFilters(f) {
  const q = new URLSearchParams();
  Object.entries(f).forEach(([k, v]) => { if (v) q.set(k, v); });
  const s = q.toString();
  history.replaceState(null, '', `#/backups${s ? '?' + s : ''}`);
}

function options(values, current, all) {
  return html`<option value="">${all}</option>${values.map((v) => html`<option value="${v}" ${v === current ? html`selected` : ''}>${v}</option>`)}`.s;
}

// setOptions replaces a filter's options only when they changed, so a
// live refresh does not close a select the user is working in.
function setOptions(select, optionsHTML) {
  if (select.dataset.opts === optionsHTML) return;
  select.dataset.opts = optionsHTML;
  select.innerHTML = optionsHTML;
}

// mount renders the Backups page into root.
export function mount(root) {
  const selected = new Set();
  const f = readFilters();
  root.innerHTML = html`<div class="page-head"><h1>Backups <span class="count" data-count></span></h1>
    <div class="tools">
      <select data-flt="target" aria-label="Filter by target"></select>
      <select data-flt="image" aria-label="Filter by backing image"></select>
      <select data-flt="state" aria-label="Filter by state"></select>
      <button type="button" class="btn btn-danger-ghost" data-bulk-delete disabled>Delete</button></div></div>
    <div class="filter-note" hidden></div>
    <div class="load-error" role="alert" hidden></div>
    <div class="table-wrap"><table class="grid" aria-label="Backups"><thead><tr>
      <th class="chk"><input type="checkbox" data-all aria-label="Select all shown"></th><th>Name</th><th>Backing image</th><th>Target</th>
      <th>State</th><th class="num">Size</th><th>URL</th><th>Created</th><th class="act"><span class="sr">Actions</span></th></tr></thead>
      <tbody></tbody></table></div>`.s;
  const tbody = root.querySelector('tbody');
  const all = root.querySelector('[data-all]');
  const flt = (k) => root.querySelector(`[data-flt=${k}]`);

  const shown = () => live.list('backupbackingimages').filter((b) => (!f.target || b.backupTargetName === f.target)
    && (!f.image || b.backingImageName === f.image) && (!f.state || (b.state || '') === f.state)
    && (!f.name || b.name === f.name)).sort((a, b) => (b.created || '').localeCompare(a.created || '') || byName(a, b));

  const render = () => {
    const bbis = live.list('backupbackingimages');
    const names = new Set(bbis.map((b) => b.name));
    [...selected].forEach((n) => { if (!names.has(n)) selected.delete(n); });
    setOptions(flt('target'), options(live.list('backuptargets').map((t) => t.name).sort(), f.target, 'All targets'));
    setOptions(flt('image'), options([...new Set(bbis.map((b) => b.backingImageName))].sort(), f.image, 'All images'));
    setOptions(flt('state'), options(STATES, f.state, 'All states'));
    root.querySelector('[data-count]').textContent = live.loaded('backupbackingimages') ? `(${bbis.length})` : '';
    const note = root.querySelector('.filter-note');
    note.hidden = !f.name;
    note.innerHTML = f.name ? html`Showing backup <strong>${f.name}</strong> only. <a href="#/backups" data-clear>Show all</a>`.s : '';
    const err = live.error('backupbackingimages');
    root.querySelector('.load-error').hidden = !err;
    root.querySelector('.load-error').textContent = err ? `Cannot load backups: ${err}` : '';
    const list = shown();
    let rows;
    if (!live.loaded('backupbackingimages')) rows = emptyRow(COLS, err ? 'Backups could not be loaded.' : 'Loading…');
    else if (!bbis.length) rows = emptyRow(COLS, html`<div class="empty-state"><strong>No backups yet.</strong>
      <p>Back up a backing image from the <a href="#/images">Backing images</a> page. Backups that other installations wrote to a target appear here after the target syncs.</p></div>`);
    else if (!list.length) rows = emptyRow(COLS, 'No backup matches these filters.');
    else rows = list.map((b) => row(b, selected.has(b.name), b.name === f.name)).join('');
    setRows(tbody, rows);
    all.checked = list.length > 0 && list.every((b) => selected.has(b.name));
    const bulk = root.querySelector('[data-bulk-delete]');
    bulk.disabled = selected.size === 0;
    bulk.textContent = selected.size ? `Delete (${selected.size})` : 'Delete';
  };

  root.addEventListener('change', (e) => {
    const t = e.target;
    if (t.dataset.flt) { f[t.dataset.flt] = t.value; f.name = ''; writeFilters(f); render(); }
    else if (t === all) { shown().forEach((b) => (all.checked ? selected.add(b.name) : selected.delete(b.name))); render(); }
    else if (t.dataset.f === 'check') {
      const n = t.closest('tr').dataset.key;
      if (t.checked) selected.add(n); else selected.delete(n);
      render();
    }
  });
  root.addEventListener('click', (e) => {
    if (e.target.closest('[data-clear]')) { e.preventDefault(); f.name = ''; writeFilters(f); render(); return; }
    const t = e.target.closest('button');
    if (!t) return;
    if (t.dataset.bulkDelete !== undefined) { deleteBackups([...selected].sort()).then((ok) => { if (ok) selected.clear(); render(); }); return; }
    const b = live.find('backupbackingimages', t.closest('tr')?.dataset.key);
    if (!b) return;
    if (t.dataset.f === 'copy') copyText(b.url);
    else if (t.dataset.f === 'restore') openRestoreDialog(b);
    else if (t.dataset.f === 'retry') { t.disabled = true; retryBackup(b); }
    else if (t.dataset.f === 'menu') {
      menu(t, [
        { label: 'Restore…', disabled: b.state !== 'Completed', title: 'Only a completed backup can be restored', onClick: () => openRestoreDialog(b) },
        { label: 'Verify', disabled: b.state !== 'Completed', title: 'Read every block and check the checksum', onClick: () => verify(b) },
        { label: 'Retry', disabled: b.state !== 'Error', title: b.state === 'Error' ? 'Run this failed backup again' : 'Only a failed backup (Error) can be retried', onClick: () => retryBackup(b) },
        { label: 'Copy URL', disabled: !b.url, onClick: () => copyText(b.url) },
        { label: 'Delete…', danger: true, onClick: () => deleteBackups([b.name]) },
      ]);
    }
  });
  render();
  return live.subscribe((k) => { if (k === 'backupbackingimages' || k === 'backuptargets' || k === 'backingimages') render(); });
}

// deleteBackups confirms and deletes the named backups from their targets.
async function deleteBackups(names) {
  const ok = await confirm({
    title: names.length === 1 ? `Delete backup ${names[0]}?` : `Delete ${names.length} backups?`,
    body: html`<p>The backups are removed from their backup targets. Blocks shared with other backups are kept.</p>
      <ul class="names">${names.map((n) => html`<li class="mono">${n}</li>`)}</ul>`,
    ok: 'Delete', danger: true,
  });
  if (!ok) return false;
  const res = await Promise.allSettled(names.map((n) => del(path('v1', 'backupbackingimages', n))));
  let done = 0;
  res.forEach((r, i) => { if (r.status === 'rejected') errorToast(r.reason, `Delete ${names[i]}`); else done++; });
  if (done) toast(`Deleting ${done} backup${done > 1 ? 's' : ''}`, 'success');
  live.refresh('backupbackingimages');
  return true;
}

// retryBackup asks the server to run the failed backup b again and says
// what it answered: the backup back in Pending, or why it refused.
async function retryBackup(b) {
  try {
    const r = await post(action(b, 'backupBackingImageRetry', '/v1/backupbackingimages'));
    toast(`Retrying backup ${b.name}: it is ${(r && r.state) || 'Pending'} again`, 'success');
  } catch (err) {
    errorToast(err, `Retry ${b.name}`);
  }
  live.refresh('backupbackingimages');
}
