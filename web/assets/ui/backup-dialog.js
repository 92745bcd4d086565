// backup-dialog.js: the one Back Up flow. The list's bulk Backup button,
// the list's row menu and the detail page's menu all open this dialog, so
// the request they send is the same: a JSON body naming the target.
import { post, path, ApiError } from './api.js';
import { dialog } from './dialog.js';
import { html, toast } from './dom.js';
import * as live from './live.js';
import { backupBlocker, bbiStateCell, blockReason, byName, existingOn, targetOption, targetUsable } from './model.js';

// openBackupDialog backs up the named images to one chosen target. Images
// that cannot be backed up are listed as skipped with the reason. Targets
// say what the images' existing backups there mean: one in Error is
// replaced by the new backup; any other refuses it, so a target where
// every image has one is not offered.
export function openBackupDialog(names) {
  const chosen = [];
  const skipped = [];
  for (const n of names) {
    const why = backupBlocker(live.find('backingimages', n));
    if (why) skipped.push({ name: n, why });
    else chosen.push(n);
  }
  const targets = [...live.list('backuptargets')].sort(byName);
  const backups = live.list('backupbackingimages');
  const ex = new Map(targets.map((t) => [t.name, existingOn(backups, chosen, t.name)]));
  const usable = (t) => targetUsable(t, ex.get(t.name), chosen.length);
  const preferred = targets.find((t) => t.name === 'default' && usable(t)) || targets.find(usable);
  const single = chosen.length === 1;
  const body = html`
    <label class="field">Backup target
      <select name="target" required>
        ${targets.length === 0 ? html`<option value="">No backup targets</option>` : ''}
        ${targets.map((t) => targetOption(t, t === preferred, ex.get(t.name), chosen.length))}
      </select>
    </label>
    ${!preferred ? noTargetNote(targets, chosen.length) : ''}
    <div class="plan" data-plan></div>
    ${single ? html`<label class="field">Backup name <span class="opt">(optional)</span>
      <input name="name" autocomplete="off" spellcheck="false" placeholder="generated: ${chosen[0]}-xxxxxxxx"></label>` : ''}
    <div class="split">
      <section><h3>Will be backed up (${chosen.length})</h3>
        ${chosen.length ? html`<ul class="names">${chosen.map((n) => html`<li>${n}</li>`)}</ul>` : html`<p class="muted">None of the selected images can be backed up now.</p>`}
      </section>
      ${skipped.length ? html`<section><h3>Skipped (${skipped.length})</h3>
        <ul class="names skipped">${skipped.map((s) => html`<li><strong>${s.name}</strong> — ${s.why}</li>`)}</ul></section>` : ''}
    </div>`;
  const ctx = dialog({
    title: chosen.length + skipped.length === 1 ? `Back up ${names[0]}` : `Back up ${names.length} backing images`,
    body, submit: 'Back up', wide: true,
    onSubmit: async (c) => {
      const target = c.form.elements.target.value;
      if (!target) throw new Error('Choose a backup target.');
      if (chosen.length === 0) throw new Error('Nothing to back up: every selected image was skipped.');
      const custom = single ? c.form.elements.name.value.trim() : '';
      const results = single ? [await backupOne(chosen[0], target, custom)] : await backupMany(chosen, target);
      showResults(c, target, results, skipped, ex.get(target)?.replace || []);
    },
  });
  const select = ctx.el.querySelector('select[name=target]');
  const plan = () => { ctx.el.querySelector('[data-plan]').innerHTML = ex.has(select.value) ? planNote(ex.get(select.value)).s : ''; };
  select.addEventListener('change', plan);
  plan();
  if (!preferred || chosen.length === 0) ctx.el.querySelector('[data-submit]').disabled = true;
  return ctx;
}

// noTargetNote says why no target is offered: none is available, or each
// available one already has a backup of the images.
function noTargetNote(targets, n) {
  if (targets.some((t) => t.available)) {
    return html`<p class="note note-bad">Every available target already has a backup of ${n > 1 ? 'these images' : 'this image'}.
      Delete one on the <a href="#/backups">Backups page</a> to back up there again.</p>`;
  }
  return html`<p class="note note-bad">No backup target is available. <a href="#/targets">Add or fix one on the Backup targets page.</a></p>`;
}

// planNote tells, for the chosen target, which failed backups the new ones
// replace and which images the server will refuse because of theirs.
function planNote(ex) {
  const li = (b, why) => html`<li><strong>${b.backingImageName}</strong> — ${why}</li>`;
  return html`${ex.replace.length ? html`<div class="note note-warn" data-replace>The new backup replaces the failed one, which is deleted:
      <ul class="names">${ex.replace.map((b) => li(b, html`failed backup <span class="mono">${b.name}</span>${b.error ? ': ' + b.error : ''}`))}</ul></div>` : ''}
    ${ex.block.length ? html`<div class="note note-bad" data-block>The server will refuse these; delete their backup on this target first:
      <ul class="names">${ex.block.map((b) => li(b, blockReason(b)))}</ul></div>` : ''}`;
}

// backupOne uses the image's own action (it accepts a custom name); the
// reply is the new backup, or an error whose message the server wrote.
async function backupOne(image, target, name) {
  try {
    const bbi = await post(`${path('v1', 'backingimages', image)}?action=backupBackingImageCreate`,
      { backupTargetName: target, name, labels: {} });
    return { backingImageName: image, backupBackingImage: bbi };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { backingImageName: image, error: { status: err.status, message: err.message } };
  }
}

// backupMany sends one batch request; the server answers per image.
async function backupMany(images, target) {
  const reply = await post('/v1/backingimages?action=backupBackingImageBatchCreate',
    { backingImageNames: images, backupTargetName: target });
  return (reply && reply.data) || [];
}

// existingBackup finds the backup a 409 refers to: the one of this image
// on this target (the server allows only one).
function existingBackup(image, target) {
  return live.list('backupbackingimages').find((b) => b.backingImageName === image && b.backupTargetName === target);
}

function resultItem(r, target, replaced) {
  if (r.backupBackingImage) {
    const b = live.find('backupbackingimages', r.backupBackingImage.name) || r.backupBackingImage;
    const old = replaced.find((x) => x.backingImageName === r.backingImageName && x.name !== b.name);
    return html`<li class="result ok" data-image="${r.backingImageName}" data-backup="${b.name}">
      <span class="res-name">${r.backingImageName}</span> → <a href="#/backups?name=${encodeURIComponent(b.name)}" class="mono">${b.name}</a>
      ${old ? html`<span class="muted" data-replaced="${old.name}">replaces failed backup ${old.name}</span>` : ''}
      <span class="res-state">${bbiStateCell(b)}</span></li>`;
  }
  const e = r.error || { message: 'no result from the server' };
  const existing = e.status === 409 ? existingBackup(r.backingImageName, target) : null;
  return html`<li class="result bad" data-image="${r.backingImageName}">
    <span class="res-name">${r.backingImageName}</span>
    <span class="err-text">${e.message}</span>
    ${existing ? html`<a class="existing" href="#/backups?name=${encodeURIComponent(existing.name)}">Open existing backup ${existing.name}</a>` : ''}</li>`;
}

// showResults turns the dialog into a live report: each created backup's
// generated name and progress, each failure with the server's message.
function showResults(ctx, target, results, skipped, replaced) {
  const box = ctx.el.querySelector('.dlg-body');
  const render = () => {
    box.innerHTML = html`<p>Target <strong>${target}</strong>.</p>
      <ul class="results">${results.map((r) => resultItem(r, target, replaced))}
      ${skipped.map((s) => html`<li class="result skip" data-image="${s.name}"><span class="res-name">${s.name}</span> <span class="muted">skipped — ${s.why}</span></li>`)}</ul>`.s;
  };
  render();
  if (results.some((r) => r.error && r.error.status === 409)) live.reload('backupbackingimages');
  const stop = live.subscribe((kind) => { if (kind === 'backupbackingimages') render(); });
  ctx.el.addEventListener('close', stop);
  const submit = ctx.el.querySelector('[data-submit]');
  submit.remove();
  const closeBtn = ctx.el.querySelector('footer [data-close]');
  closeBtn.textContent = 'Close';
  closeBtn.insertAdjacentHTML('beforebegin', '<a class="btn" href="#/backups">View all backups</a>');
  closeBtn.focus();
  const ok = results.filter((r) => r.backupBackingImage).length;
  if (ok) toast(`Backing up ${ok} image${ok > 1 ? 's' : ''} to ${target}`, 'success');
}
