package rancher

import (
	"reflect"
	"strings"
	"time"
)

// Field describes one resource field in a schema. Every key is omitted when
// empty, so a plain field is just {"type":"string"}; a Default holding ""
// is still written, as go-rancher writes it.
type Field struct {
	Type         string   `json:"type,omitempty"`
	Default      any      `json:"default,omitempty"`
	Unique       bool     `json:"unique,omitempty"`
	Nullable     bool     `json:"nullable,omitempty"`
	Create       bool     `json:"create,omitempty"`
	Required     bool     `json:"required,omitempty"`
	Update       bool     `json:"update,omitempty"`
	MinLength    *int64   `json:"minLength,omitempty"`
	MaxLength    *int64   `json:"maxLength,omitempty"`
	Min          *int64   `json:"min,omitempty"`
	Max          *int64   `json:"max,omitempty"`
	Options      []string `json:"options,omitempty"`
	ValidChars   string   `json:"validChars,omitempty"`
	InvalidChars string   `json:"invalidChars,omitempty"`
	Description  string   `json:"description,omitempty"`

	goType   reflect.Type // the Go type the field was derived from
	autoType string       // the Type last derived; differs once set by hand
}

var timeType = reflect.TypeFor[time.Time]()

// fieldsOf derives a schema's fields from struct type t the way
// encoding/json names them, so the schema lists exactly the keys written:
// the JSON tag name (or the Go name), "-" skipped, untagged embedded structs
// flattened, and a shallower field winning over a deeper one.
func (s *Schemas) fieldsOf(t reflect.Type) map[string]*Field {
	out := map[string]*Field{}
	depth := map[string]int{}
	s.collectFields(t, 0, out, depth)
	return out
}

func (s *Schemas) collectFields(t reflect.Type, level int, out map[string]*Field, depth map[string]int) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			if et := derefType(sf.Type); et.Kind() == reflect.Struct {
				s.collectFields(et, level+1, out, depth)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if d, seen := depth[name]; seen && d <= level {
			continue
		}
		depth[name] = level
		out[name] = s.newField(sf.Type)
	}
}

// newField derives a field from Go type t; pointers are nullable.
func (s *Schemas) newField(t reflect.Type) *Field {
	f := &Field{goType: t, Nullable: t.Kind() == reflect.Pointer}
	f.Type = s.typeName(t)
	f.autoType = f.Type
	return f
}

// renameAutoTypes re-derives the type of every field whose Type was not
// set by hand, so that a type registered later names the fields using it.
func (s *Schemas) renameAutoTypes() {
	for _, sc := range s.order {
		for _, f := range sc.ResourceFields {
			if f.goType == nil || f.Type != f.autoType {
				continue
			}
			f.Type = s.typeName(f.goType)
			f.autoType = f.Type
		}
	}
}

// typeName is a field's schema type: int, bool, float, string, date,
// map[<elem>], array[<elem>], a registered schema id for structs (else the
// Go type name with a lower-case first letter), or json for anything else.
func (s *Schemas) typeName(t reflect.Type) string {
	t = derefType(t)
	if t == timeType {
		return "date"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Bool:
		return "bool"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.String:
		return "string"
	case reflect.Map:
		return "map[" + s.typeName(t.Elem()) + "]"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // encoding/json writes bytes as base64 text
		}
		return "array[" + s.typeName(t.Elem()) + "]"
	case reflect.Struct:
		if sc, ok := s.byType[t]; ok {
			return sc.ID
		}
		if t.Name() != "" {
			return strings.ToLower(t.Name()[:1]) + t.Name()[1:]
		}
	}
	return "json"
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
