package uitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUploadThroughCreateDialog uploads a 100 MiB file with the Create
// dialog: the progress bar moves, and the image ends ready with the
// file's checksum.
func TestUploadThroughCreateDialog(t *testing.T) {
	p := startPlinth(t)
	b := newBrowser(t, p.URL)
	data := imageBytes(7, 100<<20)
	file := writeFile(t, "disk.raw", data)

	b.open("#/images")
	b.click("main [data-create]")
	b.fill("dialog [name=name]", "uploaded")
	b.click("dialog input[name=source][value=upload]")
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("dialog input[name=file]"), []string{file}))
	// Record every progress value the bar shows, and the label's text.
	b.do("watch progress", chromedp.Evaluate[chromedp.Void](`window.__seen = []; window.__timer = setInterval(() => {
		const bar = document.querySelector('dialog .upload-progress progress');
		if (bar && !bar.closest('[hidden]')) window.__seen.push([bar.value, document.querySelector('dialog .up-label').textContent]);
	}, 10)`))
	b.click("dialog [data-submit]")
	b.wait("upload shows progress", `window.__seen.some(([v]) => v > 0 && v < 100)`, 60*time.Second)
	b.shot("upload-progress")
	b.wait("upload dialog closed", `!document.querySelector('dialog')`, 120*time.Second)
	seen := eval[[][2]any](b, `(clearInterval(window.__timer), window.__seen)`)
	if len(seen) == 0 {
		t.Fatalf("the upload progress bar never showed")
	}
	t.Logf("upload progress samples: %d, first %v, last %v", len(seen), seen[0], seen[len(seen)-1])
	bi := p.waitImageReady("uploaded", 30*time.Second)
	if bi["currentChecksum"] != sha512Hex(data) || bi["size"] != float64(len(data)) {
		t.Fatalf("uploaded image: size %v checksum %v, want %d and %s", bi["size"], bi["currentChecksum"], len(data), sha512Hex(data))
	}
	waitRowText(b, "uploaded", "Ready", 10*time.Second)
	waitRowText(b, "uploaded", fmt.Sprintf("%.1f MiB", 100.0), 5*time.Second)
	b.shot("images-uploaded")
}
