package rancher

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// layout locates a struct type's embedded apitypes.Resource and its Name
// field, found once per type by reflection.
type layout struct {
	resource []int // field index path of the embedded Resource
	name     []int // field index path of a string Name field, or nil
}

var (
	layouts      sync.Map // reflect.Type -> *layout
	resourceType = reflect.TypeFor[apitypes.Resource]()
)

// layoutOf finds the embedded Resource and the Name field of t, reached
// through value (not pointer) embedding so that they are always settable.
func layoutOf(t reflect.Type) (*layout, error) {
	if l, ok := layouts.Load(t); ok {
		return l.(*layout), nil
	}
	l := &layout{}
	for _, f := range reflect.VisibleFields(t) {
		if throughPointer(t, f.Index) {
			continue
		}
		switch {
		case f.Anonymous && f.Type == resourceType && l.resource == nil:
			l.resource = f.Index
		case f.Name == "Name" && f.Type.Kind() == reflect.String && l.name == nil:
			l.name = f.Index
		}
	}
	if l.resource == nil {
		return nil, fmt.Errorf("type %s does not embed apitypes.Resource", t)
	}
	layouts.Store(t, l)
	return l, nil
}

// throughPointer reports whether reaching index from t crosses a pointer.
func throughPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			return true
		}
		t = ft
	}
	return false
}

// addressable returns the struct v holds, settable: v itself when it is
// addressable (a slice element), a non-nil pointer's target, or else a copy.
func addressable(v reflect.Value) (reflect.Value, error) {
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct && v.CanAddr():
		return v, nil
	case v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct:
		return v.Elem(), nil
	case v.Kind() == reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		return c, nil
	}
	return reflect.Value{}, errors.New("need a struct embedding apitypes.Resource or a non-nil pointer to one")
}

// fill sets the envelope of the struct rv as WriteResource documents.
func (sc *Schema) fill(u URLs, rv reflect.Value) error {
	l, err := layoutOf(rv.Type())
	if err != nil {
		return err
	}
	env := rv.FieldByIndex(l.resource).Addr().Interface().(*apitypes.Resource)
	if env.ID == "" && l.name != nil {
		env.ID = rv.FieldByIndex(l.name).String()
	}
	env.Type = sc.ID
	links := make(map[string]string, len(env.Links)+1+len(sc.ResourceLinks))
	for k, v := range env.Links {
		links[k] = u.Abs(v)
	}
	self := u.Request()
	if env.ID != "" {
		self = u.Resource(sc.PluralName, env.ID)
	}
	if links["self"] == "" {
		links["self"] = self
	}
	for _, name := range sc.ResourceLinks {
		if links[name] == "" {
			links[name] = self + "/" + strings.ToLower(name)
		}
	}
	actions := make(map[string]string, len(env.Actions)+len(sc.ResourceActions))
	for k, v := range env.Actions {
		actions[k] = u.Abs(v)
	}
	if env.ID != "" {
		for name := range sc.ResourceActions {
			actions[name] = u.Action(sc.PluralName, env.ID, name)
		}
	}
	env.Links, env.Actions = links, actions
	return nil
}

// fillAll fills every element of the slice items and returns pointers to
// them, in order; a nil items is an empty list.
func (sc *Schema) fillAll(u URLs, items any) ([]any, error) {
	if items == nil {
		return []any{}, nil
	}
	sv := reflect.ValueOf(items)
	if sv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("items is a %T, not a slice", items)
	}
	data := make([]any, 0, sv.Len())
	for i := range sv.Len() {
		ev, err := addressable(sv.Index(i))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if err := sc.fill(u, ev); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		data = append(data, ev.Addr().Interface())
	}
	return data, nil
}
