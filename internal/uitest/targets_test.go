package uitest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTargetsPage creates a credential secret and an S3 target through
// the UI, an NFS target that then becomes unavailable when its server
// stops (the page shows the reason), deletes it, and checks that the
// default target cannot be deleted.
func TestTargetsPage(t *testing.T) {
	p := startPlinth(t)
	s3 := startS3(t)
	nfs := startNFS(t)
	b := newBrowser(t, p.URL)
	b.open("#/targets")
	waitRowText(b, "default", "Available", 10*time.Second)

	// A secret with write-only values, through the S3 template.
	b.click("main [data-create-secret]")
	b.fill("dialog [name=sname]", "s3-creds")
	b.click("dialog [data-tpl=s3]")
	secret := s3.Secret()
	for i, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINTS"} {
		if typ := eval[string](b, fmt.Sprintf(`document.querySelectorAll('dialog .kvrow [name=value]')[%d].type`, i)); typ != "password" {
			t.Fatalf("secret value input %d has type %q, want password", i, typ)
		}
		b.fill(fmt.Sprintf("dialog .kvrow:nth-child(%d) [name=value]", i+1), secret[k])
	}
	b.shot("secret-dialog")
	b.click("dialog [data-submit]")
	b.wait("secret listed", rowSel("s3-creds")+` !== null`, 10*time.Second)
	if strings.Contains(b.pageText(), s3.SecretKey) {
		t.Fatalf("the page shows a secret value")
	}

	createTarget(b, "s3", fmt.Sprintf("s3://%s@%s/", s3.NewBucket(t), s3.Region), "s3-creds")
	createTarget(b, "nfs", nfs.URL("").String(), "")
	waitRowText(b, "s3", "Available", 60*time.Second)
	waitRowText(b, "nfs", "Available", 60*time.Second)
	b.shot("targets")

	nfs.Stop()
	b.click(`main tr[data-key="nfs"] [data-f=menu]`)
	b.clickText(".menu", "Sync now")
	waitRowText(b, "nfs", "Unavailable", 90*time.Second)
	reason := b.text(`main tr[data-key="nfs"] .state .msg`)
	code, bt := p.call(http.MethodGet, "/v1/backuptargets/nfs", nil)
	if reason == "" || code != http.StatusOK || bt["message"] != reason {
		t.Fatalf("unavailable nfs target: the page shows reason %q, the API says %d %v", reason, code, bt)
	}
	b.shot("targets-unavailable")

	b.click(`main tr[data-key="nfs"] [data-f=menu]`)
	b.clickText(".menu", "Delete")
	b.wait("delete confirmation", `document.querySelector('dialog')?.innerText.includes('nfs')`, 5*time.Second)
	b.click("dialog [data-submit]")
	b.wait("nfs target gone", rowSel("nfs")+` === null`, 30*time.Second)

	b.click(`main tr[data-key="default"] [data-f=menu]`)
	b.wait("default cannot be deleted", `[...document.querySelectorAll('.menu button')].some((m) =>
		m.textContent.startsWith('Delete') && m.getAttribute('aria-disabled') === 'true')`, 5*time.Second)
}

// createTarget fills the Create backup target dialog and submits it.
func createTarget(b *browser, name, url, secret string) {
	b.t.Helper()
	b.click("main [data-create]")
	b.fill("dialog [name=name]", name)
	b.fill("dialog [name=url]", url)
	if secret != "" {
		b.choose("dialog select[name=secret]", secret)
		b.shot("target-dialog")
	}
	b.click("dialog [data-submit]")
	b.wait("target dialog closed", `!document.querySelector('dialog')`, 30*time.Second)
	b.wait("target "+name+" listed", rowSel(name)+` !== null`, 10*time.Second)
}
