// Package rancher speaks the Rancher-style REST wire format that Longhorn's
// /v1 API uses and that schema-driven clients (Longhorn's longhorn.py, the
// Rancher "gdapi" client) depend on: schemas published at /v1/schemas,
// resources carrying id/type/links/actions, collections whose data is never
// null, and a JSON error envelope for every failure, including unmatched
// routes.
//
// The package knows nothing about backing images or backups. The API layer
// registers its wire types (internal/apitypes) with a Schemas value, writes
// replies through Schemas.WriteResource and Schemas.WriteCollection, reads
// bodies with ReadInput, returns *errkind.Error values for client mistakes, and
// wraps its http.ServeMux with Stack (logging, panic recovery, metrics,
// token auth, JSON 404/405).
//
// All links are absolute, built per request from the Host the client used
// or the X-Forwarded-* / X-API-request-url headers a proxy set (see URLsFor),
// because the Python client follows links verbatim.
package rancher
