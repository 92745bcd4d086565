package uitest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBulkBackupSkipsImageThatIsNotReady selects three images, one still
// downloading, and backs them up to one target: two backups are created
// and complete, the third is reported as skipped with its reason, and no
// error is shown for the two that worked.
func TestBulkBackupSkipsImageThatIsNotReady(t *testing.T) {
	p := startPlinth(t)
	src := startSources(t)
	b := newBrowser(t, p.URL)
	for i, name := range []string{"bulk-a", "bulk-b"} {
		p.must(http.MethodPost, "/v1/backingimages", map[string]any{"name": name, "sourceType": "download",
			"parameters": map[string]string{"url": src.image(uint64(10+i), 3<<20)}})
	}
	p.must(http.MethodPost, "/v1/backingimages", map[string]any{"name": "bulk-c", "sourceType": "download",
		"parameters": map[string]string{"url": src.URL + "/stall"}})
	p.waitImageReady("bulk-a", 30*time.Second)
	p.waitImageReady("bulk-b", 30*time.Second)

	b.open("#/images")
	waitRowText(b, "bulk-b", "Ready", 10*time.Second)
	b.click("main [data-all]")
	b.wait("three selected", `document.querySelector('[data-bulk=backup]').textContent === 'Backup (3)'`, 5*time.Second)
	b.click("main [data-bulk=backup]")
	b.wait("backup dialog", `document.querySelector('dialog ul.names') !== null`, 5*time.Second)
	body := strings.ToLower(b.text("dialog .dlg-body")) // headings are upper-cased by CSS
	if !strings.Contains(body, "will be backed up (2)") || !strings.Contains(body, "skipped (1)") ||
		!strings.Contains(body, "bulk-c — not ready: no ready copy") {
		t.Fatalf("bulk backup dialog does not list 2 to back up and bulk-c skipped as not ready:\n%s", body)
	}
	b.shot("bulk-backup-dialog")
	res := backupViaDialog(b, "default")
	var created, skipped []string
	for _, r := range res {
		switch {
		case r.OK:
			created = append(created, r.Image)
			waitResultCompleted(b, r.Backup)
		case r.Skipped:
			skipped = append(skipped, r.Image)
			if !r.Visible {
				t.Errorf("skipped %s is not visible in the dialog", r.Image)
			}
			if !strings.Contains(r.Text, "not ready: no ready copy") {
				t.Errorf("skipped %s shows %q, want the reason", r.Image, r.Text)
			}
		default:
			t.Errorf("bulk backup of %s failed: %s", r.Image, r.Text)
		}
	}
	slices.Sort(created)
	if !slices.Equal(created, []string{"bulk-a", "bulk-b"}) || !slices.Equal(skipped, []string{"bulk-c"}) {
		t.Fatalf("bulk backup: created %v skipped %v, want [bulk-a bulk-b] and [bulk-c]", created, skipped)
	}
	if n := eval[int](b, `document.querySelectorAll('#toasts .toast-error').length`); n != 0 {
		t.Fatalf("bulk backup showed %d error toasts: %s", n, b.text("#toasts"))
	}
	b.shot("bulk-backup-done")
	m := p.must(http.MethodGet, "/v1/backupbackingimages?backupTargetName=default", nil)
	if data, _ := m["data"].([]any); len(data) != 2 {
		t.Fatalf("backups on default after the bulk backup: %d, want 2: %v", len(data), m)
	}
	b.click("dialog footer [data-close]")
	b.wait("results dialog closed", `!document.querySelector('dialog')`, 5*time.Second)
	checkKeyboard(b, "bulk-a")
}

// checkKeyboard drives a row menu and the Backup dialog with the keyboard
// only: Enter opens, arrows move, Escape closes and gives focus back.
func checkKeyboard(b *browser, row string) {
	b.t.Helper()
	menuBtn := fmt.Sprintf(`main tr[data-key=%q] [data-f=menu]`, row)
	focused := func(what, js string) { b.wait(what, js, 5*time.Second) }
	b.do("focus the row menu button", chromedp.Focus(chromedp.CSS(menuBtn)))
	focused("row menu button focused", fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, menuBtn))
	b.do("press Enter", chromedp.KeyEvent("\r"))
	focused("menu opened on its first item", `document.activeElement?.textContent === 'Back Up…'`)
	b.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	focused("second item focused", `document.activeElement?.textContent === 'Download'`)
	b.do("escape", chromedp.KeyEvent(kb.Escape))
	focused("menu closed, focus back on its button", fmt.Sprintf(`!document.querySelector('.menu') && document.activeElement === document.querySelector(%q)`, menuBtn))
	b.do("open Back Up with Enter", chromedp.KeyEvent("\r"))
	focused("menu open", `document.activeElement?.textContent === 'Back Up…'`)
	b.do("choose Back Up", chromedp.KeyEvent("\r"))
	focused("backup dialog open with the target picker focused", `document.activeElement === document.querySelector('dialog select[name=target]')`)
	b.do("escape the dialog", chromedp.KeyEvent(kb.Escape))
	focused("dialog closed, focus back on the row", `!document.querySelector('dialog')`)
}
