package rancher

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
)

func TestReadInput(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       io.Reader
		wantStatus int // 0: success
		wantMin    int
	}{
		{"missing body", nil, 0, 0},
		{"empty body", strings.NewReader(""), 0, 0},
		{"whitespace", strings.NewReader(" \n\t "), 0, 0},
		{"null", strings.NewReader("null"), 0, 0},
		{"valid with unknown fields", strings.NewReader(`{"minNumberOfCopies": 3, "extra": [1,2]}`), 0, 3},
		{"malformed", strings.NewReader(`{"minNumberOfCopies": `), http.StatusBadRequest, 0},
		{"wrong type", strings.NewReader(`{"minNumberOfCopies": "three"}`), http.StatusBadRequest, 0},
		{"trailing garbage", strings.NewReader(`{} x`), http.StatusBadRequest, 0},
		{"too large", strings.NewReader(`{"x":"` + strings.Repeat("a", MaxInputBytes) + `"}`), http.StatusRequestEntityTooLarge, 0},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/backingimages/a?action=updateMinNumberOfCopies", tc.body)
		if tc.body == nil {
			req.Body = nil
		}
		var in apitypes.UpdateMinNumberOfCopiesInput
		err := ReadInput(req, &in)
		if tc.wantStatus == 0 {
			if err != nil || in.MinNumberOfCopies != tc.wantMin {
				t.Errorf("%s: err %v, value %d", tc.name, err, in.MinNumberOfCopies)
			}
			continue
		}
		var ke *errkind.Error
		if !errors.As(err, &ke) || StatusOf(err) != tc.wantStatus {
			t.Errorf("%s: err %v, want HTTP %d", tc.name, err, tc.wantStatus)
		}
		if tc.wantStatus == http.StatusBadRequest && !strings.HasPrefix(err.Error(), "invalid JSON body: ") {
			t.Errorf("%s: message %q", tc.name, err)
		}
	}
}

func TestReadInputMaxBytesReader(t *testing.T) {
	rr := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"0123456789"}`))
	req.Body = http.MaxBytesReader(rr, req.Body, 5)
	var in apitypes.BackupTargetInput
	if err := ReadInput(req, &in); StatusOf(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("err %v", err)
	}
}

func TestReadInputNotAPointer(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	var in apitypes.BackupTargetInput
	if err := ReadInput(req, in); err == nil || StatusOf(err) != http.StatusInternalServerError {
		t.Errorf("err %v", err)
	}
}
