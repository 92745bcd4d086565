package api

import (
	"net/http"
	"strings"

	"github.com/plinth-storage/plinth/internal/errkind"
)

// queryBool reads the boolean query parameter name strictly: absent or
// empty is false, "true"/"false" in any letter case are themselves, and
// anything else ("1", "yes", "t", ...) is a 400 naming the parameter, so a
// typo never silently picks the destructive default.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, errkind.BadRequest("query parameter %s=%q is not a boolean: use true or false", name, v)
}
