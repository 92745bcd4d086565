// restore-dialog.js: restoring a backup into a new backing image, and
// verifying a backup's blocks.
import { action, post } from './api.js';
import { dialog } from './dialog.js';
import { errorToast, html, toast } from './dom.js';
import * as live from './live.js';

const BASE = '/v1/backupbackingimages';

// openRestoreDialog asks for the new image's name (default: the original)
// and data engine, plus the secret of an encrypted backup.
export function openRestoreDialog(b) {
  const encrypted = Boolean(b.secret || b.secretNamespace);
  const ctx = dialog({
    title: `Restore ${b.backingImageName}`, submit: 'Restore',
    body: html`<p>From backup <strong class="mono">${b.name}</strong> on target <strong>${b.backupTargetName}</strong>.</p>
      <label class="field">New backing image name
        <input name="name" required autocomplete="off" spellcheck="false" value="${b.backingImageName}"></label>
      <p class="note" data-taken hidden></p>
      <label class="field">Data engine
        <select name="engine"><option value="v1">v1 (files on filesystem disks)</option><option value="v2">v2 (volumes on block disks)</option></select></label>
      ${encrypted ? html`<div class="row2"><label class="field">Secret <input name="secret" value="${b.secret || ''}" required></label>
        <label class="field">Secret namespace <input name="secretNamespace" value="${b.secretNamespace || ''}"></label></div>` : ''}`,
    onSubmit: async (c) => {
      const el = c.form.elements;
      const body = { name: el.name.value.trim(), dataEngine: el.engine.value, secret: '', secretNamespace: '' };
      if (encrypted) {
        body.secret = el.secret.value.trim();
        body.secretNamespace = el.secretNamespace.value.trim();
      }
      const bi = await post(action(b, 'backupBackingImageRestore', BASE), body);
      const name = (bi && bi.name) || body.name;
      toast(html`Restoring <a href="#/images/${encodeURIComponent(name)}">${name}</a> (${body.dataEngine}) from ${b.name}`, 'success');
      live.refresh('backingimages');
      c.close();
    },
  });
  const input = ctx.form.elements.name;
  const note = ctx.el.querySelector('[data-taken]');
  const check = () => {
    const n = input.value.trim();
    note.hidden = !live.find('backingimages', n);
    note.textContent = `A backing image named ${n} exists: choose another name, or delete it first.`;
  };
  input.addEventListener('input', check);
  check();
}

// verify reads every block of backup b on its target and shows the report.
export async function verify(b) {
  const note = toast(`Verifying ${b.name}: reading every block…`);
  let r;
  try {
    r = await post(action(b, 'backupBackingImageVerify', BASE), {});
  } catch (err) {
    errorToast(err, `Verify ${b.name}`);
    return;
  } finally {
    note.remove();
  }
  const bad = (r && r.badBlocks) || [];
  dialog({
    title: `Verify ${b.name}`, submit: '', cancel: 'Close', wide: true,
    body: html`<p class="verdict ${r.ok ? 'ok' : 'bad'}">${r.ok ? '✓ The backup is intact.' : '✗ The backup is damaged.'}</p>
      <dl class="kv"><dt>Blocks read</dt><dd>${r.blocks}</dd><dt>Bad blocks</dt><dd>${bad.length}</dd>
        <dt>Image checksum</dt><dd>${r.checksumMatch ? 'matches the recorded SHA-512' : 'does not match the recorded SHA-512'}</dd>
        <dt>SHA-512</dt><dd class="mono hash">${r.checksum || '–'}</dd></dl>
      ${bad.length ? html`<table class="grid"><thead><tr><th class="num">Offset</th><th>Block</th><th>Problem</th></tr></thead><tbody>
        ${bad.slice(0, 200).map((x) => html`<tr><td class="num">${x.offset}</td><td class="mono">${x.key}</td><td>${x.reason}</td></tr>`)}</tbody></table>` : ''}`,
  });
}
