// Package apitypes holds the wire types of plinth's /v1 REST API: the JSON
// shapes that the server writes and the Go client and CLI read. Field names
// follow Longhorn's manager API so that Longhorn's clients work unchanged.
//
// Every resource embeds Resource (id, type, links, actions). Maps and slices
// that Longhorn always emits are documented as "never null" where the server
// guarantees it.
package apitypes

// Resource is the Rancher-style envelope every resource carries.
type Resource struct {
	ID      string            `json:"id,omitempty"`
	Type    string            `json:"type"`
	Links   map[string]string `json:"links"`
	Actions map[string]string `json:"actions"`
}

// Collection is the envelope of every list reply; Data is never null.
type Collection[T any] struct {
	Type         string            `json:"type"`
	ResourceType string            `json:"resourceType"`
	Links        map[string]string `json:"links"`
	Data         []T               `json:"data"`
}

// Error is the error envelope: Status is the HTTP status, Code its reason
// phrase, Message says what failed and what to do.
type Error struct {
	Type    string `json:"type"`
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}
