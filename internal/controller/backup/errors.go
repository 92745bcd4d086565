package backup

import (
	"net/http"

	"github.com/plinth-storage/plinth/internal/apierr"
)

func apiConflict(err error) bool { return apierr.StatusOf(err) == http.StatusConflict }
