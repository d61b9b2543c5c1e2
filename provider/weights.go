package provider

import (
	"encoding/hex"
	"net/http"
	"strconv"
)

// serveWeights serves GET /v1/models/{sha256}: a model's weights file, from
// the agent's cache, to bonded validators only. A verifier asks for them
// when the model's uri fails: the agent computed its jobs with these weights
// and so holds them, and a model taken down after the award (by a requester
// that owns it, to leave the verification inconclusive and keep the result
// unpaid) is then still verified. The weights are public (their uri is on
// chain); the checks run in the order serveChunk's do, the disk last.
func (a *Agent) serveWeights(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 {
		httpError(w, http.StatusBadRequest, "bad_request", "a model's weights are named by their sha256 in hex")
		return
	}
	if !a.admit(w, r, func(signer string, validators map[string]bool) bool {
		if !validators[signer] {
			a.metrics.Refused.WithLabelValues("no_access").Inc()
			httpError(w, http.StatusForbidden, "no_access", "only bonded validators read model weights here (the model's uri serves everyone)")
			return false
		}
		return true
	}) {
		return
	}
	if a.cfg.Weights == nil {
		httpError(w, http.StatusNotFound, "not_found", "this provider keeps no model weights")
		return
	}
	data, err := a.cfg.Weights(sha)
	if err != nil {
		httpError(w, http.StatusNotFound, "not_found", "this provider holds no weights with that sha256")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
	a.metrics.WeightsServed.Inc()
}
