package rancher

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
)

func TestWriteResource(t *testing.T) {
	s := longhornSchemas()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bi := apitypes.BackingImage{Name: "bi-a", SourceType: "download"}
		bi.Links = map[string]string{"events": "/v1/events/bi-a"}
		s.WriteResource(w, r, http.StatusCreated, "backingImage", bi) // a value, not a pointer
	})
	req := httptest.NewRequest(http.MethodPost, "/v1/backingimages?x=1", nil)
	req.Host = "10.42.0.5:9500"
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusCreated {
		t.Fatalf("status %d", rr.Code)
	}
	if ct := rr.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	if got := rr.Header().Get("X-API-Schemas"); got != "http://10.42.0.5:9500/v1/schemas" {
		t.Errorf("X-API-Schemas %q", got)
	}
	m := decode(t, rr.Body)
	if m["id"] != "bi-a" || m["type"] != "backingImage" || m["name"] != "bi-a" {
		t.Errorf("envelope id/type: %v %v", m["id"], m["type"])
	}
	self := "http://10.42.0.5:9500/v1/backingimages/bi-a"
	wantLinks := map[string]any{"self": self, "download": self + "/download", "events": "http://10.42.0.5:9500/v1/events/bi-a"}
	if links := obj(t, m, "links"); !reflect.DeepEqual(links, wantLinks) {
		t.Errorf("links = %v, want %v", links, wantLinks)
	}
	wantActions := map[string]any{
		"backingImageCleanup": self + "?action=backingImageCleanup",
		"upload":              self + "?action=upload",
	}
	if actions := obj(t, m, "actions"); !reflect.DeepEqual(actions, wantActions) {
		t.Errorf("actions = %v, want %v", actions, wantActions)
	}
	for _, k := range []string{"parameters", "diskSelector", "deletionTimestamp", "diskFileStatusMap"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing: every field must be emitted", k)
		}
	}
}

func TestWriteResourceNeverNullEnvelope(t *testing.T) {
	s := NewSchemas()
	s.Add("backupTarget", apitypes.BackupTarget{})
	rr := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/backuptargets/default", nil)
	s.WriteResource(rr, req, http.StatusOK, "backupTarget", &apitypes.BackupTarget{Name: "default"})
	body := rr.Body.String()
	if strings.Contains(body, "null") {
		t.Errorf("null in %s", body)
	}
	if !strings.Contains(body, `"actions":{}`) {
		t.Errorf("actions must be {} with no resource actions: %s", body)
	}
	if !strings.HasSuffix(body, "}\n") {
		t.Errorf("reply should end with a newline: %q", body)
	}
}

func TestWriteResourceProgrammingErrors(t *testing.T) {
	s := longhornSchemas()
	for name, tc := range map[string]struct {
		schema string
		res    any
	}{
		"unknown schema":   {"nope", &apitypes.BackingImage{}},
		"no envelope":      {"backingImage", &struct{ Name string }{"x"}},
		"nil pointer":      {"backingImage", (*apitypes.BackingImage)(nil)},
		"unencodable item": {"backingImage", &withChan{}},
	} {
		rr := httptest.NewRecorder()
		s.WriteResource(rr, httptest.NewRequest(http.MethodGet, "/v1/x", nil), http.StatusOK, tc.schema, tc.res)
		m := decode(t, rr.Body)
		if rr.Code != http.StatusInternalServerError || m["type"] != "error" {
			t.Errorf("%s: %d %v", name, rr.Code, m)
		}
	}
}

type withChan struct {
	apitypes.Resource
	C chan int `json:"c"`
}

func TestWriteCollection(t *testing.T) {
	s := longhornSchemas()
	var items []apitypes.BackingImage
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.WriteCollection(w, r, "backingImage", items)
	})
	hdr := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "plinth.example", "X-Forwarded-Port": "8443"}
	code, m := get(t, h, "/v1/backingimages?name=x", hdr)
	if code != http.StatusOK || m["type"] != "collection" || m["resourceType"] != "backingImage" {
		t.Fatalf("%d %v", code, m)
	}
	if data, ok := m["data"].([]any); !ok || len(data) != 0 {
		t.Errorf("empty collection data = %#v, want []", m["data"])
	}
	if self := obj(t, m, "links")["self"]; self != "https://plinth.example:8443/v1/backingimages" {
		t.Errorf("links.self = %v", self)
	}
	if got := obj(t, m, "actions")["backupBackingImageBatchCreate"]; got !=
		"https://plinth.example:8443/v1/backingimages?action=backupBackingImageBatchCreate" {
		t.Errorf("collection action = %v", got)
	}

	items = []apitypes.BackingImage{{Name: "a"}, {Name: "b"}}
	_, m = get(t, h, "/v1/backingimages", nil)
	data := m["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("data = %v", data)
	}
	second := data[1].(map[string]any)
	if second["id"] != "b" || obj(t, second, "links")["self"] != "http://10.42.0.5:9500/v1/backingimages/b" {
		t.Errorf("item = %v", second)
	}
	if items[0].ID != "a" || items[0].Type != "backingImage" {
		t.Errorf("items should be filled in place: %+v", items[0].Resource)
	}
}

func TestWriteCollectionOfPointersAndNil(t *testing.T) {
	s := longhornSchemas()
	rr := httptest.NewRecorder()
	s.WriteCollection(rr, httptest.NewRequest(http.MethodGet, "/v1/backuptargets", nil), "backupTarget",
		[]*apitypes.BackupTarget{{Name: "default"}})
	m := decode(t, rr.Body)
	if id := m["data"].([]any)[0].(map[string]any)["id"]; id != "default" {
		t.Errorf("id = %v", id)
	}
	rr = httptest.NewRecorder()
	s.WriteCollection(rr, httptest.NewRequest(http.MethodGet, "/v1/backuptargets", nil), "backupTarget", nil)
	if !strings.Contains(rr.Body.String(), `"data":[]`) {
		t.Errorf("nil items: %s", rr.Body)
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/v1/backingimages/nope?secret=1", nil)
	req.Host = "10.42.0.5:9500"
	rr := httptest.NewRecorder()
	WriteErr(rr, req, errkind.NotFound("backing image %q not found", "nope"))
	want := `{"id":"","type":"error","links":{"self":"http://10.42.0.5:9500/v1/backingimages/nope"},"actions":{},` +
		`"status":404,"code":"Not Found","message":"backing image \"nope\" not found","detail":""}`
	var got, exp map[string]any
	if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(want), &exp)
	delete(exp, "id")
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("error body\n got %s\nwant %s", rr.Body, want)
	}
	if rr.Code != http.StatusNotFound || rr.Header().Get("Content-Type") != "application/json" {
		t.Errorf("status %d, content type %q", rr.Code, rr.Header().Get("Content-Type"))
	}
}

func TestStatusOf(t *testing.T) {
	cause := errors.New("etcd down")
	for err, want := range map[error]int{
		errkind.BadRequest("x"):                                     400,
		errkind.NotFound("x"):                                       404,
		errkind.Conflict("x"):                                       409,
		errkind.Invalid("x"):                                        422,
		errkind.Unavailable("reaching etcd: %w", cause):             503,
		fmt.Errorf("wrapped: %w", errkind.Conflict("dup")):          409,
		errkind.InsufficientStorage("x"):                            507,
		errkind.TooLarge("x"):                                       413,
		errkind.Timeout("x"):                                        408,
		errkind.UnsupportedMedia("x"):                               415,
		errors.New("plain"):                                         500,
		fmt.Errorf("body: %w", &http.MaxBytesError{}):               413,
		&errkind.Error{Kind: errkind.Kind(99), Msg: "unknown kind"}: 500,
	} {
		if got := StatusOf(err); got != want {
			t.Errorf("StatusOf(%v) = %d, want %d", err, got, want)
		}
	}
	if err := errkind.Unavailable("reaching etcd: %w", cause); !errors.Is(err, cause) || err.Error() != "reaching etcd: etcd down" {
		t.Errorf("cause lost: %v", err)
	}
}
