package provider

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aichain/aichain/jobexec"
)

// inputs is the source of the material served with chunks (nil: none).
func (a *Agent) inputs() jobexec.InputSource {
	if a.cfg.MLP == nil {
		return nil
	}
	return a.cfg.MLP
}

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
	resp, err := jobexec.ServeChunk(r.Context(), id, rec.served(), tree, i, data, a.inputs())
	if err != nil {
		var se *jobexec.ServeError
		if !errors.As(err, &se) {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		httpError(w, se.Status, se.Message)
		if se.Err != nil {
			a.log.Error("load the chunk's inputs", "job", id, "kind", rec.served().Kind, "err", se.Err)
		}
		return
	}
	a.metrics.ChunksServed.Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
