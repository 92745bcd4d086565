package uitest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// createFromURL creates a backing image through the list page's Create
// dialog, downloading it from src; checksum, if set, is the expected one.
func createFromURL(b *browser, name, src, checksum string) {
	b.t.Helper()
	b.open("#/images")
	b.click("main [data-create]")
	b.fill("dialog [name=name]", name)
	b.fill("dialog [name=url]", src)
	if checksum != "" {
		b.fill("dialog [name=checksum]", checksum)
	}
	b.click("dialog [data-submit]")
	b.wait("create dialog closed", `!document.querySelector('dialog')`, 15*time.Second)
	b.wait(name+" listed", rowSel(name)+` !== null`, 10*time.Second)
}

// rowSel is a JS expression for the table row of key on the current page.
func rowSel(key string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('main tr[data-key]')].find((r) => r.dataset.key === %q) ?? null`, key)
}

// waitRowText waits until the row of key contains text.
func waitRowText(b *browser, key, text string, timeout time.Duration) {
	b.t.Helper()
	b.wait(fmt.Sprintf("row %s shows %q", key, text), fmt.Sprintf(`(%s)?.innerText.includes(%q)`, rowSel(key), text), timeout)
}

// backupViaDialog fills the open Backup dialog with target, submits it
// and returns the results list's items as {image, backup, text}.
func backupViaDialog(b *browser, target string) []result {
	b.t.Helper()
	b.wait("backup dialog", `document.querySelector('dialog select[name=target]') !== null`, 10*time.Second)
	b.choose("dialog select[name=target]", target)
	b.click("dialog [data-submit]")
	b.wait("backup results", `document.querySelector('dialog ul.results') !== null`, 30*time.Second)
	return eval[[]result](b, `[...document.querySelectorAll('dialog li.result')].map((li) => ({
		image: li.dataset.image || '', backup: li.dataset.backup || '', ok: li.classList.contains('ok'),
		skipped: li.classList.contains('skip'), text: li.innerText,
		visible: (() => { const r = li.getBoundingClientRect(), d = li.closest('dialog').getBoundingClientRect();
			return r.width > 0 && r.left >= d.left && r.right <= d.right; })() }))`)
}

type result struct {
	Image   string `json:"image"`
	Backup  string `json:"backup"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"` // inside the dialog's box
}

// waitResultCompleted waits until the dialog's live result for backup
// shows Completed.
func waitResultCompleted(b *browser, backup string) {
	b.t.Helper()
	b.wait(backup+" Completed in the backup dialog", fmt.Sprintf(
		`[...document.querySelectorAll('dialog li.result')].some((li) => li.dataset.backup === %q && li.innerText.includes('Completed'))`, backup), 90*time.Second)
}

var generatedName = regexp.MustCompile(`^[a-z0-9.-]+-[a-z0-9]{8}$`)

// TestUsersBackupAndRestoreFlow is the users' verification: one v1 image
// from a URL, backed up to S3 from the list's Backup button and to NFS
// from the detail page's menu, a 409 on backing it up to S3 again, the
// image deleted, then restored from S3 (v1) and from NFS under another
// name (v2).
func TestUsersBackupAndRestoreFlow(t *testing.T) {
	p := startPlinth(t)
	src := startSources(t)
	s3 := startS3(t)
	nfs := startNFS(t)
	b := newBrowser(t, p.URL)

	b.open("#/images")
	b.wait("empty state", `document.querySelector('main .empty-state') !== null`, 10*time.Second)
	b.shot("images-empty")

	p.must(http.MethodPost, "/v1/secrets", map[string]any{"name": "s3-creds", "data": s3.Secret()})
	p.addTarget("s3", fmt.Sprintf("s3://%s@%s/", s3.NewBucket(t), s3.Region), "s3-creds")
	p.addTarget("nfs", nfs.URL("").String(), "")
	p.addBlockDisk(256 << 20)

	const img = "base-image"
	data := imageBytes(1, 6<<20)
	createFromURL(b, img, src.image(1, len(data)), sha512Hex(data))
	waitRowText(b, img, "Ready", 60*time.Second)
	bi := p.waitImageReady(img, 10*time.Second)
	if bi["currentChecksum"] != sha512Hex(data) {
		t.Fatalf("checksum of %s: %v, want %s", img, bi["currentChecksum"], sha512Hex(data))
	}
	b.shot("images-list")

	// S3, from the list page's Backup button.
	b.click(fmt.Sprintf(`main tr[data-key=%q] input[data-f=check]`, img))
	b.click("main [data-bulk=backup]")
	b.wait("default target preselected", `document.querySelector('dialog select[name=target]').value === 'default'`, 5*time.Second)
	b.shot("backup-dialog")
	res := backupViaDialog(b, "s3")
	if len(res) != 1 || !res[0].OK || !generatedName.MatchString(res[0].Backup) || !strings.HasPrefix(res[0].Backup, img+"-") {
		t.Fatalf("backup to s3 from the list: results %+v, want one created backup named %s-xxxxxxxx", res, img)
	}
	s3Backup := res[0].Backup
	waitResultCompleted(b, s3Backup)
	b.shot("backup-dialog-done")
	b.click("dialog footer [data-close]")

	// NFS, from the detail page's menu.
	b.open("#/images/" + img)
	b.click("main [data-menu]")
	b.clickText(".menu", "Back Up")
	res = backupViaDialog(b, "nfs")
	if len(res) != 1 || !res[0].OK || !generatedName.MatchString(res[0].Backup) || res[0].Backup == s3Backup {
		t.Fatalf("backup to nfs from the detail menu: results %+v, want one new backup with a name other than %s", res, s3Backup)
	}
	nfsBackup := res[0].Backup
	waitResultCompleted(b, nfsBackup)
	b.click("dialog footer [data-close]")
	b.wait("both backups on the detail page", fmt.Sprintf(`(() => { const t = document.querySelector('[data-backups]').innerText;
		return t.includes(%q) && t.includes(%q) && (t.match(/Completed/g) || []).length === 2; })()`, s3Backup, nfsBackup), 20*time.Second)
	b.wait("verified checksum mark", `document.querySelector('[data-sums]').innerText.includes('Verified')`, 5*time.Second)
	b.shot("image-detail")

	checkConflict(t, p, b, img, s3Backup)
	deleteImage(t, p, b, img)
	restoreFlow(t, p, b, s3Backup, nfsBackup, img, sha512Hex(data))
}

// checkConflict backs img up to S3 again, from the list's row menu, and
// expects the server's 409 message with a link to the existing backup.
func checkConflict(t *testing.T, p *plinth, b *browser, img, existing string) {
	t.Helper()
	b.open("#/images")
	b.click(fmt.Sprintf(`main tr[data-key=%q] [data-f=menu]`, img))
	b.clickText(".menu", "Back Up")
	res := backupViaDialog(b, "s3")
	code, reply := p.call(http.MethodPost, "/v1/backingimages/"+img+"?action=backupBackingImageCreate", map[string]string{"backupTargetName": "s3"})
	msg, _ := reply["message"].(string)
	if code != http.StatusConflict || msg == "" {
		t.Fatalf("second backup to s3 through the API: %d %v, want a 409 with a message", code, reply)
	}
	if len(res) != 1 || res[0].OK || !strings.Contains(res[0].Text, msg) {
		t.Fatalf("second backup to s3 in the UI: results %+v, want the server's message %q", res, msg)
	}
	b.wait("link to the existing backup", fmt.Sprintf(`document.querySelector('dialog a.existing')?.getAttribute('href') === %q`,
		"#/backups?name="+url.QueryEscape(existing)), 10*time.Second)
	b.shot("backup-dialog-409")
	b.click("dialog a.existing")
	b.wait("backups page filtered to the existing backup", fmt.Sprintf(`(%s) !== null && document.querySelectorAll('main tbody tr[data-key]').length === 1`, rowSel(existing)), 10*time.Second)
}

// deleteImage deletes img from its row menu, confirming the dialog.
func deleteImage(t *testing.T, p *plinth, b *browser, img string) {
	t.Helper()
	b.open("#/images")
	b.click(fmt.Sprintf(`main tr[data-key=%q] [data-f=menu]`, img))
	b.clickText(".menu", "Delete")
	b.wait("delete confirmation", `document.querySelector('dialog')?.innerText.includes('Delete')`, 5*time.Second)
	b.click("dialog [data-submit]")
	p.waitFor("/v1/backingimages/"+img, 60*time.Second, img+" deleted", func(code int, _ map[string]any) bool { return code == http.StatusNotFound })
	b.wait(img+" gone from the list", rowSel(img)+` === null`, 10*time.Second)
}
