// targets.js: the Backup targets page (#/targets): targets with their
// status and reason, create/edit/delete/sync, and the credential secrets.
import { del, path, post, action } from './api.js';
import { confirm, menu } from './dialog.js';
import { emptyRow, errorToast, html, setRows, toast } from './dom.js';
import * as live from './live.js';
import { badge, byName } from './model.js';
import { openSecretDialog, openTargetDialog } from './target-dialog.js';

function targetRow(t) {
  return html`<tr data-key="${t.name}">
    <td class="name">${t.name}</td>
    <td class="mono wrap">${t.backupTargetURL || html`<span class="muted">not set</span>`}</td>
    <td>${t.credentialSecret || html`<span class="muted">none</span>`}</td>
    <td>${t.pollInterval || '–'}</td>
    <td class="state">${t.available ? badge('Available') : badge('Unavailable', t.message)}
      ${!t.available && t.message ? html`<div class="msg">${t.message}</div>` : ''}</td>
    <td class="act"><button type="button" class="btn btn-sm" data-f="edit">Edit…</button>
      <button type="button" class="icon-btn" data-f="menu" aria-haspopup="menu" aria-label="More actions for ${t.name}">⋯</button></td></tr>`.s;
}

function secretRow(s, users) {
  return html`<tr data-key="${s.name}"><td class="name">${s.name}</td>
    <td>${(s.keys || []).map((k) => html`<span class="tag mono">${k}</span> `)}</td>
    <td>${users.length ? users.join(', ') : html`<span class="muted">unused</span>`}</td>
    <td class="act"><button type="button" class="btn btn-sm btn-danger-ghost" data-f="delsecret" aria-label="Delete secret ${s.name}">Delete…</button></td></tr>`.s;
}

// mount renders the Backup targets page into root.
export function mount(root) {
  root.innerHTML = html`<div class="page-head"><h1>Backup targets</h1><div class="tools">
      <button type="button" class="btn btn-primary" data-create>Create backup target</button></div></div>
    <div class="load-error" role="alert" data-err="backuptargets" hidden></div>
    <div class="table-wrap"><table class="grid" aria-label="Backup targets"><thead><tr><th>Name</th><th>URL</th><th>Credential secret</th>
      <th>Poll interval</th><th>Status</th><th class="act"><span class="sr">Actions</span></th></tr></thead><tbody data-targets></tbody></table></div>
    <div class="page-head sub"><h2>Credential secrets</h2><div class="tools">
      <button type="button" class="btn" data-create-secret>Create secret</button></div></div>
    <div class="load-error" role="alert" data-err="secrets" hidden></div>
    <div class="table-wrap"><table class="grid" aria-label="Secrets"><thead><tr><th>Name</th><th>Keys</th><th>Used by</th>
      <th class="act"><span class="sr">Actions</span></th></tr></thead><tbody data-secrets></tbody></table></div>`.s;

  const render = () => {
    const targets = [...live.list('backuptargets')].sort(byName);
    for (const kind of ['backuptargets', 'secrets']) {
      const box = root.querySelector(`[data-err=${kind}]`);
      box.hidden = !live.error(kind);
      box.textContent = live.error(kind) ? `Cannot load ${kind === 'secrets' ? 'secrets' : 'backup targets'}: ${live.error(kind)}` : '';
    }
    setRows(root.querySelector('[data-targets]'), !live.loaded('backuptargets') ? emptyRow(6, 'Loading…')
      : targets.map(targetRow).join('') || emptyRow(6, 'No backup targets.'));
    const secrets = [...live.list('secrets')].sort(byName);
    setRows(root.querySelector('[data-secrets]'), !live.loaded('secrets') ? emptyRow(4, 'Loading…')
      : secrets.map((s) => secretRow(s, targets.filter((t) => t.credentialSecret === s.name).map((t) => t.name))).join('')
        || emptyRow(4, html`<span class="muted">No secrets. S3, SMB and Azure targets need one for their credentials.</span>`));
  };

  root.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.create !== undefined) return openTargetDialog(null);
    if (b.dataset.createSecret !== undefined) return openSecretDialog();
    const key = b.closest('tr')?.dataset.key;
    if (b.dataset.f === 'delsecret') return deleteSecret(key);
    const t = live.find('backuptargets', key);
    if (!t) return;
    if (b.dataset.f === 'edit') openTargetDialog(t);
    else if (b.dataset.f === 'menu') {
      menu(b, [
        { label: 'Sync now', onClick: () => sync(t) },
        { label: 'Edit…', onClick: () => openTargetDialog(t) },
        { label: 'Delete…', danger: true, disabled: t.name === 'default', title: t.name === 'default' ? 'The default backup target cannot be deleted' : '', onClick: () => deleteTarget(t) },
      ]);
    }
  });
  render();
  return live.subscribe((k) => { if (k === 'backuptargets' || k === 'secrets') render(); });
}

async function sync(t) {
  try {
    await post(action(t, 'backupTargetSync', '/v1/backuptargets'), {});
    toast(`Syncing ${t.name}: backups written elsewhere will appear on the Backups page`, 'success');
    live.refresh('backuptargets');
  } catch (err) {
    errorToast(err, `Sync ${t.name}`);
  }
}

async function deleteTarget(t) {
  const ok = await confirm({
    title: `Delete backup target ${t.name}?`, ok: 'Delete', danger: true,
    body: html`<p>plinth stops using <strong>${t.name}</strong> and its backups leave the Backups page. The data in the store at
      <span class="mono">${t.backupTargetURL}</span> is not touched; adding the target again finds it.</p>`,
  });
  if (!ok) return;
  try {
    await del(path('v1', 'backuptargets', t.name));
    toast(`Deleted backup target ${t.name}`, 'success');
    live.refresh('backuptargets');
  } catch (err) {
    errorToast(err, `Delete ${t.name}`);
  }
}

async function deleteSecret(name) {
  const ok = await confirm({ title: `Delete secret ${name}?`, ok: 'Delete', danger: true,
    body: html`<p>Targets that use it lose their credentials.</p>` });
  if (!ok) return;
  try {
    await del(path('v1', 'secrets', name));
    toast(`Deleted secret ${name}`, 'success');
    live.refresh('secrets');
  } catch (err) {
    errorToast(err, `Delete secret ${name}`);
  }
}
