package uitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

func startS3(t *testing.T) *testenv.S3Server   { return testenv.VersityGW(t) }
func startNFS(t *testing.T) *testenv.NFSServer { return testenv.Ganesha(t) }

// openRestore opens the Restore dialog of backup on the Backups page.
func openRestore(b *browser, backup string) {
	b.t.Helper()
	b.open("#/backups")
	waitRowText(b, backup, "Completed", 30*time.Second)
	b.click(fmt.Sprintf(`main tr[data-key=%q] [data-f=restore]`, backup))
	b.wait("restore dialog", `document.querySelector('dialog [name=engine]') !== null`, 5*time.Second)
}

// restoreFlow restores img from the S3 backup as v1 under its own name,
// and from the NFS backup as v2 under another name; both must end ready
// with the original checksum.
func restoreFlow(t *testing.T, p *plinth, b *browser, s3Backup, nfsBackup, img, checksum string) {
	t.Helper()
	openRestore(b, s3Backup)
	if got := eval[string](b, `document.querySelector('dialog [name=name]').value`); got != img {
		t.Fatalf("restore dialog proposes name %q, want the original %q", got, img)
	}
	b.shot("restore-dialog")
	b.choose("dialog [name=engine]", "v1")
	b.click("dialog [data-submit]")
	b.wait("restore dialog closed", `!document.querySelector('dialog')`, 15*time.Second)
	bi := p.waitImageReady(img, 90*time.Second)
	if bi["currentChecksum"] != checksum || bi["dataEngine"] != "v1" {
		t.Fatalf("restored %s: engine %v checksum %v, want v1 with %s", img, bi["dataEngine"], bi["currentChecksum"], checksum)
	}
	b.open("#/images")
	waitRowText(b, img, "Ready", 10*time.Second)
	b.shot("images-restored")
	verifyBackup(t, b, s3Backup)

	other := img + "-v2"
	openRestore(b, nfsBackup)
	b.fill("dialog [name=name]", other)
	b.choose("dialog [name=engine]", "v2")
	b.click("dialog [data-submit]")
	b.wait("restore submitted", `!document.querySelector('dialog') || !document.querySelector('dialog .dlg-error').hidden`, 15*time.Second)
	if shown := b.text("dialog .dlg-error"); shown != "" {
		b.shot("restore-v2-refused")
		t.Fatalf("v2 restore of %s as %s: the server refused: %s", nfsBackup, other, shown)
	}
	bi = p.waitImageReady(other, 90*time.Second)
	if bi["currentChecksum"] != checksum || bi["dataEngine"] != "v2" {
		t.Fatalf("restored %s: engine %v checksum %v, want v2 with %s", other, bi["dataEngine"], bi["currentChecksum"], checksum)
	}
	b.open("#/images")
	waitRowText(b, other, "Ready", 10*time.Second)
	b.shot("images-restored-v2")
}

// verifyBackup runs Verify from the backup's row menu and expects the
// report to say the backup is intact.
func verifyBackup(t *testing.T, b *browser, backup string) {
	t.Helper()
	b.open("#/backups")
	waitRowText(b, backup, "Completed", 10*time.Second)
	b.shot("backups-list")
	b.click(fmt.Sprintf(`main tr[data-key=%q] [data-f=menu]`, backup))
	b.clickText(".menu", "Verify")
	b.wait("verify report", `document.querySelector('dialog .verdict') !== null`, 60*time.Second)
	if v := b.text("dialog .verdict"); v != "✓ The backup is intact." {
		t.Fatalf("verify %s: the report says %q\n%s", backup, v, b.text("dialog"))
	}
	b.shot("verify-report")
	b.click("dialog footer [data-close]")
}
