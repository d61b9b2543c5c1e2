package signedreq

import (
	"encoding/json"
	"errors"
	"net/http"
)

// WriteError writes an agent server's JSON error, {"error": kind,
// "message": msg}, with status; a 401 names the scheme a client signs with
// (WWW-Authenticate: ADR036, in realm).
func WriteError(w http.ResponseWriter, status int, kind, msg, realm string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `ADR036 realm="`+realm+`"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": kind, "message": msg})
}

// WriteRefusal writes the refusal of a request Verify or a NonceStore
// refused: an *Error's status, code and detail, any other error as a bad
// signature (401).
func WriteRefusal(w http.ResponseWriter, err error, realm string) {
	var se *Error
	if errors.As(err, &se) {
		WriteError(w, se.Status, se.Code(), se.Detail, realm)
		return
	}
	WriteError(w, http.StatusUnauthorized, "bad_signature", err.Error(), realm)
}
