// image-detail.js: one backing image (#/images/NAME): source, checksums,
// per-disk copies, its backups on every target, and the same actions menu
// as the list (Back Up goes through the same dialog).
import { menu } from './dialog.js';
import { bytes, html, setRows, timeCell, emptyRow } from './dom.js';
import { diskLabel, imageMenu, openCleanupDialog } from './image-actions.js';
import * as live from './live.js';
import { bbiStateCell, biStateCell, byName, copies, readyCopies, stateCell, summary } from './model.js';

function checksums(bi) {
  const cur = bi.currentChecksum;
  const exp = bi.expectedChecksum;
  const ready = summary(bi).state === 'ready';
  let mark = '';
  if (cur && exp && cur === exp) mark = html`<span class="badge badge-ok" title="The stored data's SHA-512 equals the expected checksum">✓ Verified</span>`;
  else if (cur && exp && ready) mark = html`<span class="badge badge-bad" title="The stored data's SHA-512 differs from the expected checksum">Mismatch</span>`;
  return html`<dl class="kv">
    <dt>Current SHA-512 ${mark}</dt><dd class="mono hash">${cur || html`<span class="muted">not computed yet</span>`}</dd>
    <dt>Expected SHA-512</dt><dd class="mono hash">${exp || html`<span class="muted">none given</span>`}</dd></dl>`;
}

function overview(bi) {
  const params = Object.entries(bi.parameters || {});
  return html`<dl class="kv">
    <dt>State</dt><dd>${biStateCell(bi)}</dd>
    <dt>Source</dt><dd>${bi.sourceType}</dd>
    ${params.map(([k, v]) => html`<dt>${k}</dt><dd class="mono wrap">${v}</dd>`)}
    <dt>Data engine</dt><dd>${bi.dataEngine || 'v1'}</dd>
    <dt>Copies</dt><dd>${readyCopies(bi)} ready, ${bi.minNumberOfCopies} wanted</dd>
    <dt>Size</dt><dd>${bytes(bi.size)} <span class="muted">(virtual ${bytes(bi.virtualSize)})</span></dd>
    <dt>Created</dt><dd>${timeCell(bi.created)}</dd>
    <dt>UUID</dt><dd class="mono">${bi.uuid}</dd></dl>`;
}

function copyRows(bi) {
  const rows = copies(bi).sort(([a], [b]) => a.localeCompare(b));
  if (!rows.length) return emptyRow(4, 'No copies yet: the server is choosing a disk.');
  return rows.map(([uuid, c]) => html`<tr data-key="${uuid}">
    <td><span class="mono">${uuid}</span><div class="muted">${diskLabel(uuid)}</div></td>
    <td>${stateCell(c.state, c.progress, c.message)}</td>
    <td>${timeCell(c.lastStateTransitionTime)}</td>
    <td class="act"><button type="button" class="btn btn-sm" data-f="cleanup">Clean Up…</button></td></tr>`.s).join('');
}

function backupRows(bi) {
  const mine = live.list('backupbackingimages').filter((b) => b.backingImageName === bi.name).sort(byName);
  const targets = live.list('backuptargets').map((t) => t.name).sort();
  const missing = targets.filter((t) => !mine.some((b) => b.backupTargetName === t));
  const rows = mine.map((b) => html`<tr data-key="${b.name}">
    <td><a class="mono" href="#/backups?name=${encodeURIComponent(b.name)}">${b.name}</a></td>
    <td>${b.backupTargetName}</td><td>${bbiStateCell(b)}</td><td class="num">${bytes(b.size)}</td>
    <td>${timeCell(b.created)}</td></tr>`.s);
  if (missing.length) {
    rows.push(emptyRow(5, html`<span class="muted">Not backed up to: ${missing.join(', ')}</span>`));
  }
  const err = live.error('backupbackingimages');
  if (err) rows.unshift(emptyRow(5, html`<span class="err-text">Cannot load backups: ${err}</span>`));
  return rows.join('') || emptyRow(5, 'No backup targets configured.');
}

// mount renders the page for the image params.name.
export function mount(root, params) {
  const name = params.name;
  const render = () => {
    const bi = live.find('backingimages', name);
    if (!bi) {
      root.innerHTML = html`<nav class="crumbs"><a href="#/images">Backing images</a> / ${name}</nav>
        <div class="empty-state">${live.loaded('backingimages')
          ? html`<strong>Backing image ${name} does not exist.</strong><p>It may have been deleted. Its backups are on the <a href="#/backups?image=${encodeURIComponent(name)}">Backups page</a>.</p>`
          : (live.error('backingimages') || 'Loading…')}</div>`.s;
      return;
    }
    if (!root.querySelector('[data-detail]')) {
      root.innerHTML = html`<div data-detail><nav class="crumbs"><a href="#/images">Backing images</a> / <span>${name}</span></nav>
        <div class="page-head"><h1 class="mono-title">${name}</h1><div class="tools">
          <button type="button" class="btn btn-primary" data-menu aria-haspopup="menu">Actions ▾</button></div></div>
        <div class="cards"><section class="card"><h2>Overview</h2><div data-overview></div></section>
          <section class="card"><h2>Checksums</h2><div data-sums></div></section></div>
        <section class="card"><h2>Copies</h2><table class="grid"><thead><tr><th>Disk</th><th>State</th><th>Since</th>
          <th class="act"><span class="sr">Actions</span></th></tr></thead><tbody data-copies></tbody></table></section>
        <section class="card"><h2>Backups</h2><table class="grid"><thead><tr><th>Backup</th><th>Target</th><th>State</th>
          <th class="num">Size</th><th>Created</th></tr></thead><tbody data-backups></tbody></table></section></div>`.s;
    }
    root.querySelector('[data-overview]').innerHTML = overview(bi).s;
    root.querySelector('[data-sums]').innerHTML = checksums(bi).s;
    setRows(root.querySelector('[data-copies]'), copyRows(bi));
    setRows(root.querySelector('[data-backups]'), backupRows(bi));
  };
  root.addEventListener('click', (e) => {
    const t = e.target.closest('button');
    const bi = live.find('backingimages', name);
    if (!t || !bi) return;
    if (t.dataset.menu !== undefined) menu(t, imageMenu(bi));
    else if (t.dataset.f === 'cleanup') openCleanupDialog(bi, [t.closest('tr').dataset.key]);
  });
  render();
  return live.subscribe(render);
}
