package rancher

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func schemaMux(s *Schemas) http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return Routes(mux)
}

func TestSchemaJSONShape(t *testing.T) {
	h := schemaMux(longhornSchemas())
	code, sc := get(t, h, "/v1/schemas/backingImage", nil)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if sc["id"] != "backingImage" || sc["type"] != "schema" || sc["pluralName"] != "backingImages" {
		t.Fatalf("id/type/pluralName wrong: %v %v %v", sc["id"], sc["type"], sc["pluralName"])
	}
	links := obj(t, sc, "links")
	want := map[string]any{
		"self":       "http://10.42.0.5:9500/v1/schemas/backingImage",
		"collection": "http://10.42.0.5:9500/v1/backingimages",
	}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("links = %v, want %v", links, want)
	}
	if len(obj(t, sc, "actions")) != 0 {
		t.Errorf("schema actions must be {}: %v", sc["actions"])
	}
	if !reflect.DeepEqual(sc["collectionMethods"], []any{"GET", "POST"}) ||
		!reflect.DeepEqual(sc["resourceMethods"], []any{"GET", "DELETE"}) {
		t.Errorf("methods = %v / %v", sc["collectionMethods"], sc["resourceMethods"])
	}
	fields := obj(t, sc, "resourceFields")
	wantFields := map[string]string{
		"id": `{"type":"string"}`, "type": `{"type":"string"}`,
		"links": `{"type":"map[string]"}`, "actions": `{"type":"map[string]"}`,
		"name":              `{"create":true,"required":true,"type":"string","unique":true}`,
		"parameters":        `{"type":"map[string]"}`,
		"size":              `{"type":"int"}`,
		"minNumberOfCopies": `{"type":"int"}`,
		"diskSelector":      `{"type":"array[string]"}`,
		"diskFileStatusMap": `{"type":"map[backingImageDiskFileStatus]"}`,
	}
	for name, js := range wantFields {
		got, err := json.Marshal(fields[name])
		if err != nil || string(got) != js {
			t.Errorf("field %s = %s, want %s", name, got, js)
		}
	}
	if len(fields) != 22 { // 4 envelope + 18 BackingImage fields
		t.Errorf("%d fields, want 22: %v", len(fields), fields)
	}
	actions := obj(t, sc, "resourceActions")
	if got, _ := json.Marshal(actions); string(got) !=
		`{"backingImageCleanup":{"input":"backingImageCleanupInput","output":"backingImage"},"upload":{}}` {
		t.Errorf("resourceActions = %s", got)
	}
	if _, ok := sc["collectionActions"]; !ok {
		t.Error("collectionActions missing although set")
	}
	if _, ok := sc["collectionFilters"]; ok {
		t.Error("empty collectionFilters must be omitted")
	}
}

func TestSchemaDefaultsAndCaseInsensitiveLookup(t *testing.T) {
	h := schemaMux(longhornSchemas())
	code, sc := get(t, h, "/v1/schemas/BACKUPTARGET", nil)
	if code != http.StatusOK || sc["id"] != "backupTarget" {
		t.Fatalf("status %d id %v", code, sc["id"])
	}
	fields := obj(t, sc, "resourceFields")
	if got, _ := json.Marshal(fields["credentialSecret"]); string(got) != `{"default":"","type":"string"}` {
		t.Errorf("an empty-string default must be written: %s", got)
	}
	if got, _ := json.Marshal(fields["available"]); string(got) != `{"type":"bool"}` {
		t.Errorf("available = %s", got)
	}
	if _, ok := sc["resourceActions"]; ok {
		t.Error("empty resourceActions must be omitted")
	}
	if !reflect.DeepEqual(sc["collectionMethods"], []any{"GET"}) {
		t.Errorf("default collectionMethods = %v", sc["collectionMethods"])
	}
}

func TestSchemaCollectionAndUnknownSchema(t *testing.T) {
	h := schemaMux(longhornSchemas())
	code, coll := get(t, h, "/v1/schemas", nil)
	if code != http.StatusOK || coll["type"] != "collection" || coll["resourceType"] != "schema" {
		t.Fatalf("status %d envelope %v/%v", code, coll["type"], coll["resourceType"])
	}
	if obj(t, coll, "links")["self"] != "http://10.42.0.5:9500/v1/schemas" {
		t.Errorf("links = %v", coll["links"])
	}
	ids := map[string]bool{}
	for _, item := range coll["data"].([]any) {
		m := item.(map[string]any)
		if m["type"] != "schema" {
			t.Errorf("item type %v", m["type"])
		}
		ids[m["id"].(string)] = true
	}
	for _, id := range []string{"schema", "error", "apiVersion", "backingImage", "backupTarget", "backingImageCleanupInput"} {
		if !ids[id] {
			t.Errorf("schema %q not listed: %v", id, ids)
		}
	}
	code, e := get(t, h, "/v1/schemas/nope", nil)
	if code != http.StatusNotFound || e["type"] != "error" || e["status"] != 404.0 {
		t.Errorf("unknown schema: %d %v", code, e)
	}
}

func TestAPIVersionRoot(t *testing.T) {
	h := schemaMux(longhornSchemas())
	for _, path := range []string{"/v1", "/v1/", "/v1/apiversions/v1"} {
		code, v := get(t, h, path, nil)
		if code != http.StatusOK || v["id"] != "v1" || v["type"] != "apiVersion" {
			t.Fatalf("%s: %d %v", path, code, v)
		}
		links := obj(t, v, "links")
		for k, want := range map[string]string{
			"self":          "http://10.42.0.5:9500/v1/apiversions/v1",
			"schemas":       "http://10.42.0.5:9500/v1/schemas",
			"backingImages": "http://10.42.0.5:9500/v1/backingimages",
			"backupTargets": "http://10.42.0.5:9500/v1/backuptargets",
		} {
			if links[k] != want {
				t.Errorf("%s: links[%s] = %v, want %s", path, k, links[k], want)
			}
		}
	}
	code, _ := get(t, h, "/v1/apiversions/v2", nil)
	if code != http.StatusNotFound {
		t.Errorf("unknown version: %d", code)
	}
}

func TestSchemaSetupPanics(t *testing.T) {
	s := NewSchemas()
	s.Add("thing", struct{ A int }{})
	for name, f := range map[string]func(){
		"duplicate id":  func() { s.Add("THING", struct{ B int }{}) },
		"not a struct":  func() { s.Add("x", 3) },
		"unknown field": func() { s.Get("thing").Field("nope") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestPluralAndTypeNames(t *testing.T) {
	for id, want := range map[string]string{"backingImage": "backingImages", "status": "statuses", "batch": "batches", "box": "boxes"} {
		if got := plural(id); got != want {
			t.Errorf("plural(%q) = %q, want %q", id, got, want)
		}
	}
	type inner struct{ X int }
	type sample struct {
		P      *string `json:"p"`
		B      []byte  `json:"b"`
		L      []inner `json:"l"`
		Any    any     `json:"any"`
		Skip   string  `json:"-"`
		NoTag  float64
		Nested map[string][]int `json:"nested"`
	}
	s := NewSchemas()
	sc := s.Add("sample", sample{})
	want := map[string]string{"p": "string", "b": "string", "l": "array[inner]", "any": "json", "NoTag": "float", "nested": "map[array[int]]"}
	for name, typ := range want {
		if got := sc.Field(name).Type; got != typ {
			t.Errorf("field %s type %q, want %q", name, got, typ)
		}
	}
	if !sc.Field("p").Nullable {
		t.Error("pointer field should be nullable")
	}
	if _, ok := sc.ResourceFields["Skip"]; ok {
		t.Error(`json:"-" field listed`)
	}
	sc.Field("l").Type = "array[custom]"
	s.Add("innerThing", inner{})
	if got := sc.Field("l").Type; got != "array[custom]" {
		t.Errorf("a hand-set type was overwritten: %q", got)
	}
}
