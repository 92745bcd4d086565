package rancher

import (
	"net/http"
	"slices"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
)

// schemaBody is a schema as published (go-rancher's key set; empty ones
// omitted, links and actions always present).
type schemaBody struct {
	apitypes.Resource
	PluralName        string            `json:"pluralName,omitempty"`
	ResourceMethods   []string          `json:"resourceMethods,omitempty"`
	ResourceFields    map[string]*Field `json:"resourceFields,omitempty"`
	ResourceActions   map[string]Action `json:"resourceActions,omitempty"`
	CollectionMethods []string          `json:"collectionMethods,omitempty"`
	CollectionActions map[string]Action `json:"collectionActions,omitempty"`
	CollectionFilters map[string]Filter `json:"collectionFilters,omitempty"`
}

// listable reports whether the collection answers GET.
func (sc *Schema) listable() bool { return slices.Contains(sc.CollectionMethods, http.MethodGet) }

// body renders sc with absolute links for u: self is the schema's own URL,
// collection is added when the collection answers GET.
func (sc *Schema) body(u URLs) *schemaBody {
	links := map[string]string{"self": u.Schemas() + "/" + sc.ID}
	if sc.listable() {
		links["collection"] = u.Collection(sc.PluralName)
	}
	return &schemaBody{
		Resource: apitypes.Resource{
			ID: sc.ID, Type: "schema", Links: links, Actions: map[string]string{},
		},
		PluralName:        sc.PluralName,
		ResourceMethods:   sc.ResourceMethods,
		ResourceFields:    sc.ResourceFields,
		ResourceActions:   sc.ResourceActions,
		CollectionMethods: sc.CollectionMethods,
		CollectionActions: sc.CollectionActions,
		CollectionFilters: sc.CollectionFilters,
	}
}

// Register adds the discovery routes to mux:
//
//	GET /v1, /v1/                  the apiVersion resource, linking every listable collection
//	GET /v1/apiversions[/v1]       the versions collection and the one version
//	GET /v1/schemas                all schemas, as a collection
//	GET /v1/schemas/{id}           one schema (id case-insensitive), 404 if unknown
func (s *Schemas) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1", s.serveVersion)
	mux.HandleFunc("GET /v1/{$}", s.serveVersion)
	mux.HandleFunc("GET /v1/apiversions", s.serveVersions)
	mux.HandleFunc("GET /v1/apiversions/{id}", s.serveVersionByID)
	mux.HandleFunc("GET /v1/schemas", s.serveSchemas)
	mux.HandleFunc("GET /v1/schemas/{id}", s.serveSchema)
}

// version is the apiVersion resource: links to the schemas and to every
// listable collection, keyed by camelCase plural name as go-rancher does.
func (s *Schemas) version(u URLs) *apiVersionBody {
	links := map[string]string{"self": u.Resource("apiVersions", APIVersion)}
	for _, sc := range s.order {
		if sc.listable() {
			links[sc.PluralName] = u.Collection(sc.PluralName)
		}
	}
	return &apiVersionBody{Resource: apitypes.Resource{
		ID: APIVersion, Type: "apiVersion", Links: links, Actions: map[string]string{},
	}}
}

func (s *Schemas) serveVersion(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, r, http.StatusOK, s.version(URLsFor(r)))
}

func (s *Schemas) serveVersions(w http.ResponseWriter, r *http.Request) {
	u := URLsFor(r)
	writeCollectionBody(w, r, u, "apiVersion", []any{s.version(u)}, nil)
}

func (s *Schemas) serveVersionByID(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != APIVersion {
		WriteErr(w, r, errkind.NotFound("API version %q does not exist; this server speaks %q", id, APIVersion))
		return
	}
	s.serveVersion(w, r)
}

func (s *Schemas) serveSchemas(w http.ResponseWriter, r *http.Request) {
	u := URLsFor(r)
	data := make([]any, 0, len(s.order))
	for _, sc := range s.order {
		data = append(data, sc.body(u))
	}
	writeCollectionBody(w, r, u, "schema", data, nil)
}

func (s *Schemas) serveSchema(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sc := s.Get(id)
	if sc == nil {
		WriteErr(w, r, errkind.NotFound("schema %q does not exist; GET %s lists them", id,
			strings.TrimPrefix(URLsFor(r).Schemas(), URLsFor(r).Base())))
		return
	}
	WriteJSON(w, r, http.StatusOK, sc.body(URLsFor(r)))
}
