package dataserver

import (
	"net/http"
)

// A probe asks whether this server holds a dataset version, and never
// returns a byte of it: a signed HEAD of either endpoint (the method is in
// what is signed, so a probe cannot be replayed as a GET; a chunk endpoint's
// index is not read). A bidding provider and a validator's sidecar checking
// an aborted job's inputs send it (Client.Holds) before they may read the
// rows. It is answered
//
//	204 No Content  the server serves the dataset and holds the version's file
//	404 not_found   it does not serve the dataset, or does not hold the version
//	503 busy        no chain look-up slot for the version's record (retry)
//
// or with the signature refusals (401), all without a body (HEAD). It needs
// no access, so no access look-up is made and no nonce recorded (a replayed
// probe is answered the same again); the version's record is read in the
// signer's look-up pool, as for any request (versions.go). ?version=V
// defaults to the current version. A server that predates the probe serves a
// HEAD as a GET without its body: 200 or 403 (it finds the file before it
// checks the licence) when it holds the version, 404 when not.

// serveProbe answers a probe: 204 when the version is held, a refusal when
// not.
func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	id, version, e := parseTarget(r)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	signed, err := s.verifier.Verify(r)
	if err != nil {
		s.refuse(w, r, refusal(err))
		return
	}
	d, e := s.served(r.Context(), id, version)
	if e == nil {
		if version == 0 {
			version = d.version
		}
		_, e = s.locate(r.Context(), d, version, signed.Address)
	}
	if e != nil {
		e.signer = signed.Address
		s.refuse(w, r, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
