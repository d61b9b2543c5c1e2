package provider

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aichain/aichain/jobexec"
)

// Handler serves GET /v1/jobs/{id}/chunks/{i} (a jobexec.ChunkResponse),
// GET /healthz and GET /metrics.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/jobs/{id}/chunks/{i}", a.serveChunk)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (a *Agent) serveChunk(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		httpError(w, http.StatusBadRequest, "job id must be a number")
		return
	}
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 {
		httpError(w, http.StatusBadRequest, "chunk index must be a non-negative number")
		return
	}
	rec, ok := a.state.Get(id)
	if !ok || !rec.Executed {
		httpError(w, http.StatusNotFound, "this provider holds no result for that job")
		return
	}
	if uint64(i) >= rec.ChunkCount {
		httpError(w, http.StatusNotFound, "chunk index out of range")
		return
	}
	tree, err := a.store.Tree(id, int(rec.ChunkCount))
	if err != nil {
		httpError(w, http.StatusInternalServerError, "cannot load the job's chunks")
		a.log.Error("load tree", "job", id, "err", err)
		return
	}
	data, err := a.store.Chunk(id, i)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "cannot read the chunk")
		return
	}
	resp, err := jobexec.NewChunkResponse(id, tree, i, data)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if rec.DatasetID != 0 {
		if a.cfg.MLP == nil {
			httpError(w, http.StatusInternalServerError, "this agent has no dataset source")
			return
		}
		ds, err := a.cfg.MLP.DatasetFile(r.Context(), rec.DatasetID, rec.DatasetVersion)
		if err != nil {
			httpError(w, http.StatusServiceUnavailable, "cannot load the job's dataset")
			a.log.Error("load dataset", "job", id, "dataset", rec.DatasetID, "err", err)
			return
		}
		if err := resp.AttachInputs(ds, rec.ChunkRows); err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	a.metrics.ChunksServed.Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
