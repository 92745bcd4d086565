// image-actions.js: the actions on one backing image, shared by the list's
// row menu and the detail page's menu (Back Up, Download, Clean Up, Delete).
import { action, del, path, post } from './api.js';
import { openBackupDialog } from './backup-dialog.js';
import { confirm, dialog } from './dialog.js';
import { errorToast, html, toast } from './dom.js';
import * as live from './live.js';
import { backupBlocker, copies, existingOn, readyCopies, stateCell, targetUsable } from './model.js';

// imageMenu returns the menu items for bi.
export function imageMenu(bi) {
  const ready = readyCopies(bi) > 0;
  return [
    { label: 'Back Up…', onClick: () => openBackupDialog([bi.name]), title: backupTitle(bi) },
    { label: 'Download', disabled: !ready, title: ready ? '' : 'No ready copy to download yet',
      onClick: () => download(bi) },
    { label: 'Clean Up…', disabled: copies(bi).length === 0, title: copies(bi).length ? '' : 'No copies on any disk',
      onClick: () => openCleanupDialog(bi) },
    { label: 'Delete…', danger: true, onClick: () => deleteImages([bi.name]) },
  ];
}

// backupTitle says why Back Up cannot do anything now, or ''. A target
// whose backup of bi failed still counts: a new backup replaces it.
function backupTitle(bi) {
  const blocker = backupBlocker(bi);
  if (blocker) return `Cannot back up: ${blocker}`;
  const avail = live.list('backuptargets').filter((t) => t.available);
  if (!avail.length) return 'No backup target is available';
  const backups = live.list('backupbackingimages');
  if (!avail.some((t) => targetUsable(t, existingOn(backups, [bi.name], t.name), 1))) return 'Already backed up to every available target';
  return '';
}

// download starts the browser's download of the image's data.
export function download(bi) {
  const a = document.createElement('a');
  a.href = (bi.links && bi.links.download) || `${path('v1', 'backingimages', bi.name)}/download`;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

// deleteImages confirms, deletes every named image and reports each
// failure with the server's message.
export async function deleteImages(names) {
  const ok = await confirm({
    title: names.length === 1 ? `Delete ${names[0]}?` : `Delete ${names.length} backing images?`,
    body: html`<p>These backing images and all their copies will be deleted. Their backups stay on the backup targets.</p>
      <ul class="names">${names.map((n) => html`<li>${n}</li>`)}</ul>`,
    ok: 'Delete', danger: true,
  });
  if (!ok) return false;
  const results = await Promise.allSettled(names.map((n) => del(path('v1', 'backingimages', n))));
  let done = 0;
  results.forEach((r, i) => {
    if (r.status === 'rejected') errorToast(r.reason, `Delete ${names[i]}`);
    else done++;
  });
  if (done) toast(`Deleting ${done} backing image${done > 1 ? 's' : ''}`, 'success');
  live.refresh('backingimages');
  return done === names.length;
}

// diskLabel names a disk by its node and path when the node list has it.
export function diskLabel(uuid) {
  for (const n of live.list('nodes')) {
    for (const d of Object.values(n.disks || {})) {
      if (d.diskUUID === uuid) return `${n.name}:${d.path}`;
    }
  }
  return '';
}

// openCleanupDialog lets the user pick the disks whose copies to remove.
export function openCleanupDialog(bi, preselected = []) {
  const rows = copies(bi);
  dialog({
    title: `Clean up copies of ${bi.name}`, submit: 'Clean up', danger: true, wide: true,
    body: html`<p>Remove the image file from the chosen disks. The server keeps at least ${bi.minNumberOfCopies} ready
      cop${bi.minNumberOfCopies === 1 ? 'y' : 'ies'} and refuses a clean-up that would leave fewer.</p>
      <fieldset class="checks"><legend>Disks</legend>
      ${rows.map(([uuid, c]) => html`<label class="check"><input type="checkbox" name="disk" value="${uuid}" ${preselected.includes(uuid) ? html`checked` : ''}>
        <span class="mono">${uuid}</span> <span class="muted">${diskLabel(uuid)}</span> ${stateCell(c.state, c.progress)}</label>`)}
      </fieldset>`,
    onSubmit: async (ctx) => {
      const disks = [...ctx.form.querySelectorAll('input[name=disk]:checked')].map((i) => i.value);
      if (!disks.length) throw new Error('Choose at least one disk.');
      await post(action(bi, 'backingImageCleanup', '/v1/backingimages'), { disks });
      toast(`Cleaning up ${disks.length} cop${disks.length > 1 ? 'ies' : 'y'} of ${bi.name}`, 'success');
      live.refresh('backingimages');
      ctx.close();
    },
  });
}
