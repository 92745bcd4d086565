// create-image.js: the Create backing image dialog: from a download URL,
// or by uploading a local file with a progress bar.
import { action, post, upload } from './api.js';
import { dialog } from './dialog.js';
import { bytes, html, toast } from './dom.js';
import * as live from './live.js';

function defaultCopies() {
  const s = live.find('settings', 'default-min-number-of-backing-image-copies');
  const n = s ? parseInt(s.value, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 1;
}

const body = () => html`
  <label class="field">Name
    <input name="name" required autocomplete="off" spellcheck="false" autofocus
      placeholder="e.g. ubuntu-24.04" maxlength="60"></label>
  <fieldset class="radios"><legend>Source</legend>
    <label><input type="radio" name="source" value="download" checked> Download from a URL</label>
    <label><input type="radio" name="source" value="upload"> Upload a file</label>
  </fieldset>
  <label class="field" data-for="download">URL
    <input name="url" type="url" autocomplete="off" spellcheck="false" placeholder="https://example.com/image.qcow2"></label>
  <label class="field" data-for="upload" hidden>File
    <input name="file" type="file"></label>
  <label class="field">Expected SHA-512 checksum <span class="opt">(optional)</span>
    <input name="checksum" autocomplete="off" spellcheck="false" placeholder="128 hex digits; the image fails if its data does not match"></label>
  <div class="row2">
    <label class="field">Data engine
      <select name="engine"><option value="v1" selected>v1 (files on filesystem disks)</option><option value="v2">v2 (volumes on block disks)</option></select></label>
    <label class="field">Minimum number of copies
      <input name="copies" type="number" min="1" max="20" value="${defaultCopies()}" required></label>
  </div>
  <div class="upload-progress" hidden>
    <div class="up-label">Uploading…</div>
    <progress max="100" value="0"></progress>
    <p class="note">Keep this page open until the upload finishes.</p>
  </div>`;

// openCreateDialog opens the dialog; on success the new image shows up in
// the list through the live stream.
export function openCreateDialog() {
  let xfer = null;
  const ctx = dialog({
    title: 'Create backing image', submit: 'Create', body: body(), wide: true,
    onSubmit: async (c) => {
      const f = c.form.elements;
      const source = f.source.value;
      const input = {
        name: f.name.value.trim(), sourceType: source, parameters: {},
        expectedChecksum: f.checksum.value.trim(), dataEngine: f.engine.value,
        minNumberOfCopies: parseInt(f.copies.value, 10) || 0,
      };
      const file = f.file.files[0];
      if (source === 'download') {
        input.parameters.url = f.url.value.trim();
        if (!input.parameters.url) throw new Error('Enter the URL to download the image from.');
      } else if (!file) {
        throw new Error('Choose the file to upload.');
      }
      const bi = await post('/v1/backingimages', input);
      if (source === 'download') {
        toast(html`Creating <a href="#/images/${encodeURIComponent(bi.name)}">${bi.name}</a> from ${input.parameters.url}`, 'success');
        c.close();
        return;
      }
      await sendFile(c, bi, file, (x) => { xfer = x; });
    },
  });
  const sync = () => {
    const src = ctx.form.elements.source.value;
    ctx.el.querySelectorAll('[data-for]').forEach((el) => { el.hidden = el.dataset.for !== src; });
    ctx.form.elements.url.required = src === 'download';
  };
  ctx.form.addEventListener('change', (e) => { if (e.target.name === 'source') sync(); });
  ctx.el.addEventListener('close', () => xfer?.abort());
  sync();
}

// sendFile uploads file into the new image bi, showing progress; the
// dialog cannot be dismissed by accident meanwhile.
async function sendFile(ctx, bi, file, keep) {
  const box = ctx.el.querySelector('.upload-progress');
  const bar = box.querySelector('progress');
  const label = box.querySelector('.up-label');
  box.hidden = false;
  ctx.form.querySelectorAll('input, select').forEach((el) => { el.disabled = true; });
  ctx.lock(true);
  const url = `${action(bi, 'upload', '/v1/backingimages')}&size=${file.size}`;
  const x = upload(url, file, (sent, total) => {
    const pct = Math.floor((sent / total) * 100);
    bar.value = pct;
    label.textContent = `Uploading ${file.name}: ${bytes(sent)} of ${bytes(total)} (${pct}%)`;
    if (sent === total) label.textContent = `Uploaded ${bytes(total)}; the server is checking and storing it…`;
  });
  keep(x);
  try {
    await x.promise;
  } catch (err) {
    label.textContent = 'Upload failed.';
    throw new Error(`${err.message}. The backing image ${bi.name} was created but holds no data: delete it, then try again.`);
  } finally {
    ctx.lock(false);
  }
  keep(null);
  toast(html`Uploaded <a href="#/images/${encodeURIComponent(bi.name)}">${bi.name}</a> (${bytes(file.size)})`, 'success');
  ctx.close();
}
