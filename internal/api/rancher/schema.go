package rancher

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// Schemas is the set of resource types the API publishes at /v1/schemas.
// Build it completely (Add, then adjust the returned *Schema values) before
// serving: it is read concurrently by handlers and must not change after.
type Schemas struct {
	order  []*Schema
	byID   map[string]*Schema // keyed by lower-cased id: lookups ignore case
	byType map[reflect.Type]*Schema
}

// Schema describes one resource type. The zero-valued optional maps are
// omitted from the published JSON.
type Schema struct {
	// ID is the type name clients use (e.g. "backingImage"); a resource's
	// "type" is always its schema's ID.
	ID string
	// PluralName names the collection; its lower-cased form is the URL
	// segment (/v1/backingimages). Add sets ID+"s" (or +"es").
	PluralName string
	// CollectionMethods and ResourceMethods are the HTTP methods allowed on
	// the collection and on one resource. Add sets both to ["GET"].
	CollectionMethods []string
	ResourceMethods   []string
	// ResourceFields is derived from the Go struct; adjust flags with Field.
	ResourceFields map[string]*Field
	// ResourceActions become the actions map of every resource written with
	// this schema: name -> <self>?action=<name>.
	ResourceActions map[string]Action
	// CollectionActions become the actions map of every collection written
	// with this schema: name -> <collection>?action=<name>.
	CollectionActions map[string]Action
	// CollectionFilters names the query filters a list accepts.
	CollectionFilters map[string]Filter
	// ResourceLinks names sub-resources added to every resource's links:
	// name -> <self>/<lower-cased name> (e.g. "download").
	ResourceLinks []string
}

// Action describes a resource or collection action: the schema ids of its
// input body and of its reply, either may be empty.
type Action struct {
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
}

// Filter describes a collection filter and its modifiers ("eq", "like", ...).
type Filter struct {
	Modifiers []string `json:"modifiers,omitempty"`
}

// NewSchemas returns a Schemas holding the built-in types every Rancher
// API publishes: "schema" (so clients can fetch /v1/schemas/<id>),
// "apiVersion" and "error".
func NewSchemas() *Schemas {
	s := &Schemas{byID: map[string]*Schema{}, byType: map[reflect.Type]*Schema{}}
	s.Add("apiVersion", apiVersionBody{})
	s.Add("error", errorBody{})
	s.Add("schema", schemaBody{})
	return s
}

// Add registers the Go struct type of v (a value or pointer) under id and
// returns its schema for adjustment. Fields are derived as go-rancher
// derives them (see fieldsOf). Struct-typed fields of other registered types
// are named by their schema id ("map[backingImageDiskFileStatus]"), whatever
// order the types are added in, unless their Type was set by hand.
// Add panics on an empty or duplicate id or a non-struct v: both are
// programming errors found at start-up.
func (s *Schemas) Add(id string, v any) *Schema {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if id == "" || t == nil || t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("rancher: Add(%q, %T): need a non-empty id and a struct", id, v))
	}
	if _, dup := s.byID[strings.ToLower(id)]; dup {
		panic(fmt.Sprintf("rancher: schema %q added twice", id))
	}
	sc := &Schema{
		ID:                id,
		PluralName:        plural(id),
		CollectionMethods: []string{"GET"},
		ResourceMethods:   []string{"GET"},
		ResourceActions:   map[string]Action{},
		CollectionActions: map[string]Action{},
		CollectionFilters: map[string]Filter{},
	}
	s.order = append(s.order, sc)
	s.byID[strings.ToLower(id)] = sc
	if _, seen := s.byType[t]; !seen {
		s.byType[t] = sc
	}
	sc.ResourceFields = s.fieldsOf(t)
	s.renameAutoTypes()
	return sc
}

// Get returns the schema with id, matched case-insensitively, or nil.
func (s *Schemas) Get(id string) *Schema {
	return s.byID[strings.ToLower(id)]
}

// All returns the schemas in the order they were added.
func (s *Schemas) All() []*Schema { return slices.Clone(s.order) }

// Field returns the named field (by its JSON name) for adjustment. It
// panics if there is no such field: a typo in start-up code.
func (sc *Schema) Field(name string) *Field {
	f, ok := sc.ResourceFields[name]
	if !ok {
		panic(fmt.Sprintf("rancher: schema %q has no field %q", sc.ID, name))
	}
	return f
}

// plural applies go-rancher's rule: +"es" after s, ch or x, else +"s".
func plural(id string) string {
	for _, suffix := range []string{"s", "ch", "x"} {
		if strings.HasSuffix(id, suffix) {
			return id + "es"
		}
	}
	return id + "s"
}

// apiVersionBody is the apiVersion resource served at /v1.
type apiVersionBody struct {
	apitypes.Resource
}
