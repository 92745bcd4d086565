// images.js: the Backing images page (#/images): a selectable table with
// bulk Backup and Delete, Create, and a menu on every row.
import { openBackupDialog } from './backup-dialog.js';
import { openCreateDialog } from './create-image.js';
import { menu } from './dialog.js';
import { bytes, debounce, emptyRow, html, setRows, timeCell } from './dom.js';
import { deleteImages, imageMenu } from './image-actions.js';
import * as live from './live.js';
import { biStateCell, byName, readyCopies, sourceText } from './model.js';

const COLS = 10;

function row(bi, selected) {
  const key = bi.name;
  return html`<tr data-key="${key}" class="${selected ? 'sel' : ''}">
    <td class="chk"><input type="checkbox" data-f="check" aria-label="Select ${key}" ${selected ? html`checked` : ''}></td>
    <td class="name"><a href="#/images/${encodeURIComponent(key)}" data-f="link">${key}</a></td>
    <td class="state">${biStateCell(bi)}</td>
    <td class="num">${bytes(bi.size)}</td>
    <td class="num">${bytes(bi.virtualSize)}</td>
    <td title="${(bi.parameters && bi.parameters.url) || ''}">${sourceText(bi)}</td>
    <td>${bi.dataEngine || 'v1'}</td>
    <td class="num">${readyCopies(bi)} / ${bi.minNumberOfCopies}</td>
    <td>${timeCell(bi.created)}</td>
    <td class="act"><button type="button" class="icon-btn" data-f="menu" aria-haspopup="menu" aria-label="Actions for ${key}">⋯</button></td>
  </tr>`.s;
}

// mount renders the page into root and returns its clean-up function.
export function mount(root) {
  const selected = new Set();
  let filter = '';
  root.innerHTML = html`<div class="page-head">
      <h1>Backing images <span class="count" data-count></span></h1>
      <div class="tools">
        <input type="search" class="search" placeholder="Filter by name" aria-label="Filter by name" data-filter>
        <button type="button" class="btn" data-bulk="backup" disabled>Backup</button>
        <button type="button" class="btn btn-danger-ghost" data-bulk="delete" disabled>Delete</button>
        <button type="button" class="btn btn-primary" data-create>Create backing image</button>
      </div></div>
    <div class="load-error" role="alert" hidden></div>
    <div class="table-wrap"><table class="grid" aria-label="Backing images">
      <thead><tr><th class="chk"><input type="checkbox" data-all aria-label="Select all shown"></th>
        <th>Name</th><th>State</th><th class="num">Size</th><th class="num">Virtual size</th><th>Source</th>
        <th>Engine</th><th class="num" title="Ready copies / minimum number of copies">Copies</th><th>Created</th>
        <th class="act"><span class="sr">Actions</span></th></tr></thead>
      <tbody></tbody></table></div>`.s;
  const tbody = root.querySelector('tbody');
  const all = root.querySelector('[data-all]');

  const shown = () => live.list('backingimages').filter((b) => !filter || b.name.includes(filter)).sort(byName);
  const render = () => {
    const images = shown();
    const names = new Set(live.list('backingimages').map((b) => b.name));
    [...selected].forEach((n) => { if (!names.has(n)) selected.delete(n); });
    root.querySelector('[data-count]').textContent = live.loaded('backingimages') ? `(${names.size})` : '';
    const err = live.error('backingimages');
    root.querySelector('.load-error').hidden = !err;
    root.querySelector('.load-error').textContent = err ? `Cannot load backing images: ${err}` : '';
    let rows;
    if (!live.loaded('backingimages')) rows = emptyRow(COLS, err ? 'Backing images could not be loaded.' : 'Loading…');
    else if (names.size === 0) rows = emptyRow(COLS, html`<div class="empty-state"><strong>No backing images yet.</strong>
        <p>Create one from a download URL or by uploading a raw or qcow2 file; it is then kept on this node's disks and can be backed up.</p>
        <button type="button" class="btn btn-primary" data-create>Create backing image</button></div>`);
    else if (images.length === 0) rows = emptyRow(COLS, html`No backing image name contains “${filter}”.`);
    else rows = images.map((b) => row(b, selected.has(b.name))).join('');
    setRows(tbody, rows);
    syncToolbar(images);
  };

  // syncToolbar updates the select-all box and the bulk buttons.
  const syncToolbar = (images) => {
    all.checked = images.length > 0 && images.every((b) => selected.has(b.name));
    all.indeterminate = !all.checked && images.some((b) => selected.has(b.name));
    const n = selected.size;
    for (const [k, label] of [['backup', 'Backup'], ['delete', 'Delete']]) {
      const btn = root.querySelector(`[data-bulk=${k}]`);
      btn.disabled = n === 0;
      btn.textContent = n ? `${label} (${n})` : label;
    }
  };

  // syncSelection shows a selection change without rebuilding the rows.
  const syncSelection = () => {
    for (const tr of tbody.querySelectorAll('tr[data-key]')) {
      const on = selected.has(tr.dataset.key);
      tr.classList.toggle('sel', on);
      tr.querySelector('[data-f=check]').checked = on;
    }
    syncToolbar(shown());
  };

  root.addEventListener('change', (e) => {
    const t = e.target;
    if (t === all) {
      shown().forEach((b) => (all.checked ? selected.add(b.name) : selected.delete(b.name)));
      syncSelection();
    } else if (t.dataset.f === 'check') {
      const name = t.closest('tr').dataset.key;
      if (t.checked) selected.add(name); else selected.delete(name);
      syncSelection();
    }
  });
  root.addEventListener('click', (e) => {
    const t = e.target.closest('button');
    if (!t) return;
    if (t.dataset.create !== undefined) openCreateDialog();
    else if (t.dataset.bulk === 'backup') openBackupDialog([...selected].sort());
    else if (t.dataset.bulk === 'delete') deleteImages([...selected].sort()).then((ok) => { if (ok) { selected.clear(); render(); } });
    else if (t.dataset.f === 'menu') {
      const bi = live.find('backingimages', t.closest('tr').dataset.key);
      if (bi) menu(t, imageMenu(bi));
    }
  });
  root.querySelector('[data-filter]').addEventListener('input', debounce((e) => { filter = e.target.value.trim(); render(); }, 120));

  render();
  return live.subscribe((kind) => { if (kind === 'backingimages' || kind === 'backuptargets') render(); });
}
