package rancher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
)

// collectionBody is the collection envelope. Data is never null; actions
// appear only when the schema has collection actions.
type collectionBody struct {
	Type         string            `json:"type"`
	ResourceType string            `json:"resourceType"`
	Links        map[string]string `json:"links"`
	Actions      map[string]string `json:"actions,omitempty"`
	Data         []any             `json:"data"`
}

// WriteJSON answers with status and v encoded as JSON (HTML escaping off,
// trailing newline), with Content-Type application/json and X-API-Schemas
// pointing at the schema collection. Use it for replies that are not
// resources (reports, batch results); a value that cannot be encoded
// becomes a 500 error envelope.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := encode(v)
	if err != nil {
		WriteErr(w, r, fmt.Errorf("encoding the %T reply: %w", v, err))
		return
	}
	send(w, r, status, b)
}

// WriteResource answers with status and res rendered as a resource of
// schema schemaID. res is a struct embedding apitypes.Resource, or a
// pointer to one (filled in place). Its envelope is set as follows:
//   - id: kept if set, else the struct's Name field;
//   - type: schemaID;
//   - links: entries already present are kept (server-relative values made
//     absolute); self = <base>/v1/<plural>/<id>; each of the schema's
//     ResourceLinks = <self>/<lower-cased name>;
//   - actions: every schema ResourceAction as <self>?action=<name>.
//
// links and actions are never null. An unknown schemaID or a res without
// the embedded Resource is a programming error answered with a 500.
func (s *Schemas) WriteResource(w http.ResponseWriter, r *http.Request, status int, schemaID string, res any) {
	sc, err := s.schemaFor(schemaID)
	if err != nil {
		WriteErr(w, r, err)
		return
	}
	rv, err := addressable(reflect.ValueOf(res))
	if err != nil {
		WriteErr(w, r, fmt.Errorf("writing a %s resource: %w", schemaID, err))
		return
	}
	if err := sc.fill(URLsFor(r), rv); err != nil {
		WriteErr(w, r, fmt.Errorf("writing a %s resource: %w", schemaID, err))
		return
	}
	WriteJSON(w, r, status, rv.Addr().Interface())
}

// WriteCollection answers 200 with items (a slice of structs embedding
// apitypes.Resource, or of pointers to them) as a collection of schemaID:
// type "collection", resourceType schemaID, links.self the request URL
// without query, actions for the schema's CollectionActions, and data
// never null ([] for a nil or empty slice). Each item's envelope is filled
// in place as WriteResource fills it.
func (s *Schemas) WriteCollection(w http.ResponseWriter, r *http.Request, schemaID string, items any) {
	sc, err := s.schemaFor(schemaID)
	if err != nil {
		WriteErr(w, r, err)
		return
	}
	u := URLsFor(r)
	data, err := sc.fillAll(u, items)
	if err != nil {
		WriteErr(w, r, fmt.Errorf("writing a %s collection: %w", schemaID, err))
		return
	}
	var actions map[string]string
	for name := range sc.CollectionActions {
		if actions == nil {
			actions = map[string]string{}
		}
		actions[name] = u.Collection(sc.PluralName) + "?action=" + name
	}
	writeCollectionBody(w, r, u, sc.ID, data, actions)
}

func writeCollectionBody(w http.ResponseWriter, r *http.Request, u URLs, resourceType string, data []any, actions map[string]string) {
	if data == nil {
		data = []any{}
	}
	WriteJSON(w, r, http.StatusOK, &collectionBody{
		Type:         "collection",
		ResourceType: resourceType,
		Links:        map[string]string{"self": u.Request()},
		Actions:      actions,
		Data:         data,
	})
}

func (s *Schemas) schemaFor(id string) (*Schema, error) {
	if sc := s.Get(id); sc != nil {
		return sc, nil
	}
	return nil, fmt.Errorf("no schema %q is registered: add it with Schemas.Add at start-up", id)
}

// encode is JSON without HTML escaping, with a trailing newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// send writes a JSON reply body with its headers.
func send(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-API-Schemas", URLsFor(r).Schemas())
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
