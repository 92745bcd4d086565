// target-dialog.js: creating and editing backup targets, and creating the
// credential secrets they use (values are write-only: the server never
// sends them back).
import { action, post } from './api.js';
import { dialog } from './dialog.js';
import { html, toast } from './dom.js';
import * as live from './live.js';

// seconds turns a Go duration ("5m0s", "1h2m3s", "300") into seconds.
export function seconds(d) {
  if (/^\d+$/.test(d || '')) return Number(d);
  let total = 0;
  for (const [, n, unit] of String(d || '').matchAll(/([\d.]+)(h|m|s|ms)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 }[unit]);
  }
  return Math.round(total);
}

function secretOptions(current) {
  const names = live.list('secrets').map((s) => s.name).sort();
  if (current && !names.includes(current)) names.unshift(current);
  return html`<option value="">None</option>${names.map((n) => html`<option value="${n}" ${n === current ? html`selected` : ''}>${n}</option>`)}`.s;
}

// openTargetDialog creates a target, or edits t (its name is fixed).
export function openTargetDialog(t) {
  const editing = Boolean(t);
  const ctx = dialog({
    title: editing ? `Edit backup target ${t.name}` : 'Create backup target',
    submit: editing ? 'Save' : 'Create', wide: true,
    body: html`<label class="field">Name
        <input name="name" required autocomplete="off" spellcheck="false" value="${t ? t.name : ''}" ${editing ? html`readonly` : html`autofocus`}></label>
      <label class="field">URL
        <input name="url" required autocomplete="off" spellcheck="false" value="${t ? t.backupTargetURL : ''}"
          placeholder="s3://bucket@region/path  ·  nfs://host:/export  ·  cifs://host/share  ·  azblob://container@core.windows.net/  ·  file:///dir"></label>
      <div class="row2"><label class="field">Credential secret
          <span class="inline"><select name="secret"></select>
          <button type="button" class="btn btn-sm" data-new-secret>New secret…</button></span></label>
        <label class="field">Poll interval (seconds)
          <input name="poll" type="number" min="0" value="${t ? seconds(t.pollInterval) : 300}" required>
          <span class="hint">How often to look for backups written by others; 0 turns it off.</span></label></div>`,
    onSubmit: async (c) => {
      const el = c.form.elements;
      const input = { name: el.name.value.trim(), backupTargetURL: el.url.value.trim(), credentialSecret: el.secret.value, pollInterval: String(el.poll.value) };
      if (editing) await post(action(t, 'backupTargetUpdate', '/v1/backuptargets'), input);
      else await post('/v1/backuptargets', input);
      toast(`${editing ? 'Saved' : 'Created'} backup target ${input.name}`, 'success');
      live.refresh('backuptargets');
      c.close();
    },
  });
  const select = ctx.form.elements.secret;
  select.innerHTML = secretOptions(t ? t.credentialSecret : '');
  ctx.el.querySelector('[data-new-secret]').addEventListener('click', () => {
    openSecretDialog((name) => { select.innerHTML = secretOptions(name); });
  });
}

const templates = {
  s3: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINTS'],
  cifs: ['CIFS_USERNAME', 'CIFS_PASSWORD'],
  azblob: ['AZBLOB_ACCOUNT_NAME', 'AZBLOB_ACCOUNT_KEY', 'AZBLOB_ENDPOINT'],
};

const pair = (k = '') => html`<div class="kvrow"><input name="key" placeholder="KEY" value="${k}" autocomplete="off" spellcheck="false" aria-label="Key">
  <input name="value" type="password" placeholder="value" autocomplete="new-password" aria-label="Value of ${k || 'key'}">
  <button type="button" class="icon-btn" data-del-row aria-label="Remove this key">×</button></div>`.s;

// openSecretDialog creates a secret; done(name) runs after it is created.
export function openSecretDialog(done) {
  const ctx = dialog({
    title: 'Create secret', submit: 'Create secret', wide: true,
    body: html`<p class="note">Values are write-only: the server stores them for the targets and never shows them again.</p>
      <label class="field">Name <input name="sname" required autocomplete="off" spellcheck="false" autofocus></label>
      <div class="inline">Fill in keys for:
        <button type="button" class="btn btn-sm" data-tpl="s3">S3</button>
        <button type="button" class="btn btn-sm" data-tpl="cifs">SMB/CIFS</button>
        <button type="button" class="btn btn-sm" data-tpl="azblob">Azure Blob</button></div>
      <div class="kvrows" data-rows>${pair()}</div>
      <button type="button" class="btn btn-sm" data-add-row>Add key</button>`,
    onSubmit: async (c) => {
      const data = {};
      c.el.querySelectorAll('.kvrow').forEach((r) => {
        const k = r.querySelector('[name=key]').value.trim();
        if (k) data[k] = r.querySelector('[name=value]').value;
      });
      if (!Object.keys(data).length) throw new Error('Add at least one key and its value.');
      const name = c.form.elements.sname.value.trim();
      await post('/v1/secrets', { name, data });
      await live.reload('secrets');
      toast(`Created secret ${name}`, 'success');
      c.close();
      done?.(name);
    },
  });
  const rows = ctx.el.querySelector('[data-rows]');
  ctx.el.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.tpl) rows.innerHTML = templates[b.dataset.tpl].map((k) => pair(k)).join('');
    else if (b.dataset.addRow !== undefined) rows.insertAdjacentHTML('beforeend', pair());
    else if (b.dataset.delRow !== undefined) b.closest('.kvrow').remove();
  });
}
