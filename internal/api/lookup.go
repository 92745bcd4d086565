package api

import (
	"errors"
	"net/http"

	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/store"
)

// get loads one object; a missing one is a 404 that names what it is.
func get[T any](r *http.Request, k *store.Kind[T], what, name string) (store.Versioned[T], error) {
	v, err := k.Get(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		err = errkind.NotFound("%s %s not found", what, name)
	}
	return v, err
}

// mutate applies fn to one object with compare-and-swap retries; a
// missing object is a 404 that names what it is.
func mutate[T any](r *http.Request, k *store.Kind[T], what, name string, fn func(*T) error) (T, error) {
	v, err := k.Mutate(r.Context(), name, fn)
	if errors.Is(err, store.ErrNotFound) {
		err = errkind.NotFound("%s %s not found", what, name)
	}
	return v, err
}
