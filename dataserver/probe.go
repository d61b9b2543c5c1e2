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
//	204 No Content  the server serves the dataset and holds the version's
//	                file, and that file makes the version's record: its
//	                sha256 and length, its content root (the Merkle root of
//	                its chunks) and, when the version declares one, its rows'
//	                sha256: the file every job winner's check accepts
//	404 not_found   it does not serve the dataset, does not hold the version,
//	                or its file does not make the version's record
//	503 busy        no chain look-up slot for the version's record, the
//	                file's chunk tree still being built after TreeWait (the
//	                build goes on, whoever asked: tree.go), or the file
//	                being re-indexed (retry)
//
// or with the signature refusals (401), all without a body (HEAD). It needs
// no access, so no access look-up is made and no nonce recorded (a replayed
// probe is answered the same again); the version's record is read in the
// signer's look-up pool, as for any request (versions.go). ?version=V
// defaults to the current version. A server that predates the probe serves a
// HEAD as a GET without its body: 200 or 403 (it finds the file before it
// checks the licence) when it holds the version, 404 when not.
//
// For a validator, an active provider or an account known here, the file is
// checked as a chunk request checks it (serve.go, grantTree):
// its chunk tree is built on the first probe or chunk request, by reading
// the file once, and cached (as built, whatever the version declares), so
// that a probe reads no file after that: evicted from memory, the tree is
// read back from its leaves in Config.TreeDir (treestore.go), so that
// probes of more versions than MaxTrees in turn, a copy of each replayed
// for the window, read no file either
// (TestAttackProbesCyclingVersionsForceFullReads). A probe that checked the sha256 and
// length alone answered 204 for a version whose declared content root or
// rows sha256 is false, while every job winner refused its file: the
// winner's abort was then judged false and it paid the timeout penalty
// (TestAttackFalseRowsKeyAnswersTheProbe,
// TestAttackFalseContentRootAnswersTheProbe).

// serveProbe answers a probe: 204 when the version is held and its file
// makes the version's record, a refusal when not.
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
	var g *grant
	if e == nil {
		if version == 0 {
			version = d.version
		}
		g, e = s.locate(r.Context(), d, version, signed.Address)
	}
	if e == nil && s.pool(signed.Address) != poolStrangers {
		// As a chunk request would: a file whose rows do not make the
		// version's content root or rows sha256 is one every job winner
		// refuses (TestAttackFalseRowsKeyAnswersTheProbe). Only for the
		// validators, the active providers and the accounts known here: a
		// stranger's fresh keys, probing the files of more versions than
		// the tree cache holds, would have the server read a whole file a
		// probe (TestAttackStrangersProbesReadNoFile).
		_, e = s.grantTree(r.Context(), g)
	}
	if e != nil {
		e.signer = signed.Address
		s.refuse(w, r, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
