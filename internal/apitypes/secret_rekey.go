package apitypes

// SecretRekeyResult is the reply of POST /v1/secrets?action=rekey: how many
// secrets were rewritten under the new key. Nothing about the key itself
// is ever returned.
type SecretRekeyResult struct {
	Rewritten int `json:"rewritten"`
}
