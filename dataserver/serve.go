package dataserver

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/datamarket/types"
)

// httpError is a refusal with its status and code, and its cause when it
// has a typed one (errors.Is).
type httpError struct {
	status int
	code   string
	msg    string
	cause  error
	// signer is the request's signer, once its signature is verified.
	signer string
	// notBefore is ErrorResponse.NotBefore (signed_before_start only).
	notBefore int64
}

func (e *httpError) Error() string { return e.code + ": " + e.msg }

// Unwrap returns the typed cause, if any.
func (e *httpError) Unwrap() error { return e.cause }

// ErrNoSuchVersion is a request for a version newer than the dataset's
// current one: answered 404 from the served list, with no chain query for
// the version (any key may sign such a request, and its nonce is never
// recorded, so it could be replayed at will).
var ErrNoSuchVersion = errors.New("no such dataset version")

func herr(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *httpError) {
	w.Header().Set("Content-Type", "application/json")
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `ADR036 realm="aichain-dataserver"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(ErrorResponse{Error: e.code, Message: e.msg, NotBefore: e.notBefore})
}

// grant is an authorized request: the dataset version and its file.
type grant struct {
	id      uint64
	version types.DatasetVersion
	file    indexed
	signer  string
	// reserved: the signer may take the download slots kept for job
	// winners and validators (downloads.go).
	reserved bool
}

// authorize checks, in this order, the request's form, its signature (CPU
// only), that it was signed after the server started (start.go), that this
// server serves the dataset and the version is not newer than its current
// one (memory only), the signer's access (chain, cached), that no request
// for the same access was refused after this one was signed (refused.go),
// the nonce, and only then finds the version's file. A refusal between the
// signature and the nonce is remembered (refused.go), whatever its cause: a
// request whose nonce was not recorded is never served later.
func (s *Server) authorize(r *http.Request) (g *grant, e *httpError) {
	id, version, e := parseTarget(r)
	if e != nil {
		return nil, e
	}
	signed, err := s.verifier.Verify(r)
	// Signed ahead of the clock: refused, but a copy is fresh once the clock
	// gets there. If the signer has access the nonce store records it
	// (below, RecordFuture), so that the copy is refused
	// (TestAttackFutureRefusalLeavesReplayableCopy,
	// TestAttackReplaysRequestSignedPastTheFutureHorizon); if not, the
	// refusal is remembered, as any other (refused.go), for as long as the
	// copy would be fresh (TestAttackReplaysFutureRequestSentBeforePurchase).
	future := signed != nil && errors.Is(err, signedreq.ErrFuture)
	if err != nil && !future {
		return nil, refusal(err)
	}
	defer func() {
		if e != nil {
			e.signer = signed.Address
		}
	}()
	if e := s.checkStarted(signed); e != nil {
		return nil, e // every copy of it is refused the same: nothing to remember
	}
	key := accessKey{id: id, addr: signed.Address, version: version}
	d, ans, e := s.admit(r.Context(), key, signed.Timestamp)
	if e != nil {
		// A request signed ahead is remembered too: refused before the
		// signer's purchase landed, its copy must not be served after. A
		// signer whose clock runs ahead signs its next requests later
		// still; one whose clock is set back has its requests for this
		// access refused until its clock passes the refused one's time.
		if !errors.Is(e, ErrRefusedEarlier) {
			s.refused.record(key, signed.Timestamp, s.cfg.Now(), !s.everGranted(signed.Address))
		}
		if future {
			return nil, refusal(err)
		}
		return nil, e
	}
	// A job's winner and a validator keep the download slots kept for them
	// (downloads.go) and room in the nonce store (UseReserved): accounts
	// that anyone can open must not lock them out.
	reserved := ans.byJob || s.isValidator(signed.Address)
	if future {
		s.nonces.RecordFuture(signed, s.cfg.Now(), reserved)
		return nil, refusal(err)
	}
	use := s.nonces.Use
	if reserved {
		use = s.nonces.UseReserved
	}
	if err := use(signed, s.cfg.Now()); err != nil {
		// A replayed nonce was recorded when it was first used; a request
		// refused as too many is remembered by the store itself, so that a
		// copy replayed once it has room is not served
		// (TestAttackTooManyRefusalLeavesReplayableCopy).
		return nil, refusal(err)
	}
	if g, e = s.locate(r.Context(), d, ans.version, signed.Address); e == nil {
		g.reserved = reserved
	}
	return g, e
}

// admit runs the checks between the signature and the nonce: the dataset
// is served and the version not newer than its current one, the version's
// file is held (a version asked explicitly), the signer has access, and no
// request for key signed no later than signedAt was refused.
func (s *Server) admit(ctx context.Context, key accessKey, signedAt int64) (servedDataset, accessAnswer, *httpError) {
	d, e := s.served(ctx, key.id, key.version)
	if e != nil {
		return d, accessAnswer{}, e
	}
	if key.version != 0 {
		// The file first: a 403 below then tells an older client's signed
		// probe (a GET; a signed HEAD is the probe now) that this server
		// holds the version.
		if _, e := s.locate(ctx, d, key.version, key.addr); e != nil {
			return d, accessAnswer{}, e
		}
	}
	ans, e := s.hasAccess(ctx, key)
	if e != nil {
		return d, ans, e
	}
	if s.refused.covers(key, signedAt, s.cfg.Now()) {
		return d, ans, refusedEarlier(key.id, key.version)
	}
	return d, ans, nil
}

// parseTarget reads the dataset id and the version asked (0: current).
func parseTarget(r *http.Request) (id, version uint64, e *httpError) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, 0, herr(http.StatusBadRequest, "bad_request", "dataset id %q is not a positive integer", r.PathValue("id"))
	}
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.ParseUint(v, 10, 64); err != nil || version == 0 {
			return 0, 0, herr(http.StatusBadRequest, "bad_request", "version %q is not a positive integer", v)
		}
	}
	return id, version, nil
}

// served returns the served dataset id, refusing one this server does not
// serve (the list is re-read first, at most every 2 s whoever asks, since its
// owner may have just listed it) and a version newer than its current one.
func (s *Server) served(ctx context.Context, id, version uint64) (servedDataset, *httpError) {
	d, ok := s.catalog.get(id)
	if !ok && s.refreshSoon(ctx) {
		d, ok = s.catalog.get(id)
	}
	if !ok {
		return d, herr(http.StatusNotFound, "not_found", "this server does not serve dataset %d", id)
	}
	return s.checkVersion(ctx, d, version)
}

// checkVersion refuses, from memory, a version newer than the served list
// says is current. The list is re-read first (at most every 2 s, whoever
// asks, as for an unknown id), since the owner may have just published it;
// it returns the dataset as last read.
func (s *Server) checkVersion(ctx context.Context, d servedDataset, version uint64) (servedDataset, *httpError) {
	if version <= d.version {
		return d, nil
	}
	if s.refreshSoon(ctx) {
		if fresh, ok := s.catalog.get(d.id); ok {
			if d = fresh; version <= d.version {
				return d, nil
			}
		}
	}
	return d, &httpError{status: http.StatusNotFound, code: "not_found", cause: ErrNoSuchVersion,
		msg: fmt.Sprintf("dataset %d has no version %d (current %d)", d.id, version, d.version)}
}

func refusal(err error) *httpError {
	var se *signedreq.Error
	if errors.As(err, &se) {
		return herr(se.Status, se.Code(), "%s", se.Detail)
	}
	return herr(http.StatusUnauthorized, "bad_signature", "%v", err)
}

// locate finds the file of a served dataset's version, reading the
// version's record in signer's look-up pool (versions.go).
func (s *Server) locate(ctx context.Context, d servedDataset, version uint64, signer string) (*grant, *httpError) {
	dv, err := s.versionFor(ctx, d.id, version, signer)
	switch {
	case err == nil:
	case errors.Is(err, errBusy) || ctx.Err() != nil:
		return nil, herr(http.StatusServiceUnavailable, "busy", "too many chain look-ups at once; retry")
	case errors.Is(err, ErrNotFound):
		return nil, herr(http.StatusNotFound, "not_found", "dataset %d has no version %d", d.id, version)
	default:
		return nil, herr(http.StatusBadGateway, "chain_unavailable", "dataset %d version %d", d.id, version)
	}
	f, ok := s.fileFor(d, dv)
	if !ok {
		return nil, herr(http.StatusNotFound, "not_found", "this server does not hold dataset %d version %d (sha256 %s)", d.id, version, dv.Sha256)
	}
	if err := dataset.CheckLength(dv.Rows, dv.Cols, f.size); err != nil {
		// A file with more before its rows than a winner reads (a 2 MiB
		// header) is one no job's winner can load: held, it would answer
		// the validators' probe while every winner aborted and forfeited
		// its collateral. Not held, the probe finds the version unavailable
		// too (TestAttackVersionNoWinnerCanLoadIsNotServed).
		return nil, herr(http.StatusNotFound, "not_found", "dataset %d version %d: its file cannot hold it as a job's winner reads it: %v", d.id, version, err)
	}
	return &grant{id: d.id, version: dv, file: f, signer: signer}, nil
}

// maxLoggedURI is the most of a request's URI (and of a refusal's reason,
// which may quote it) that a log line holds.
const maxLoggedURI = 256

// refuse answers a refusal and logs it: at info level only when a validator,
// an active provider or an account that had access in the last 10 minutes
// signed the request and it was not refused as a replay, too many or busy;
// at debug otherwise (unsigned, badly signed, or signed by a key that costs
// nothing to make), so that a flood of refused requests writes no log at the
// attacker's rate (TestAttackRefusedRequestsWriteNoLog).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *httpError) {
	level := slog.LevelDebug
	switch e.status {
	case http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable:
	default:
		if e.signer != "" && s.pool(e.signer) != poolStrangers {
			level = slog.LevelInfo
		}
	}
	s.cfg.Logger.Log(r.Context(), level, "refused", "method", r.Method, "uri", truncate(r.URL.RequestURI(), maxLoggedURI),
		"status", e.status, "code", e.code, "reason", truncate(e.msg, maxLoggedURI))
	writeError(w, e)
}

// truncate cuts s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// serveFile streams the whole file (Range requests included).
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	g, e := s.authorize(r)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	done, e := s.startDownload(r.Context(), g, 0)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	defer done()
	f, err := g.file.open()
	if err != nil {
		s.refuse(w, r, fileError(err, g))
		return
	}
	defer f.Close()
	sw := s.guardStall(w)
	defer s.watchAccess(r.Context(), g, sw)()
	w = sw
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(HeaderSha256, g.version.Sha256)
	w.Header().Set(HeaderVersion, strconv.FormatUint(g.version.Version, 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dataset-%d-v%d.npy"`, g.id, g.version.Version))
	s.cfg.Logger.Info("serving file", "dataset", g.id, "version", g.version.Version, "to", g.signer)
	http.ServeContent(w, r, "", g.file.mtime, f)
}

func fileError(err error, g *grant) *httpError {
	switch {
	case errors.Is(err, errFileChanged):
		return g.refusal(herr(http.StatusServiceUnavailable, "busy", "dataset %d version %d is being re-indexed; retry", g.id, g.version.Version))
	case isContextErr(err), errors.Is(err, errTreeBuilding):
		return g.refusal(herr(http.StatusServiceUnavailable, "busy", "dataset %d version %d: %v; retry", g.id, g.version.Version, err))
	case errors.Is(err, errNotTheVersion):
		return g.refusal(herr(http.StatusNotFound, "not_found", "this server's file for dataset %d version %d does not match the chain", g.id, g.version.Version))
	}
	return g.refusal(herr(http.StatusInternalServerError, "internal", "cannot read dataset %d version %d", g.id, g.version.Version))
}

// refusal marks a refusal of an authorized request with its signer.
func (g *grant) refusal(e *httpError) *httpError {
	e.signer = g.signer
	return e
}

// grantTree returns the tree of a grant's file, checked against its
// version's record (tree), or the refusal that a chunk request and a probe
// answer alike (fileError): 404 not_found when the file does not make the
// version (its shape, content root or rows sha256), 503 busy when the
// request went away, the file changed or its tree is still being built
// after TreeWait, 500 when it cannot be read. Why is
// logged at error level, at debug when a stranger asked: a probe needs no
// access and may be replayed at will (TestAttackRefusedRequestsWriteNoLog).
func (s *Server) grantTree(ctx context.Context, g *grant) (*fileTree, *httpError) {
	t, err := s.tree(ctx, g.file, g.version, s.cfg.TreeWait)
	if err == nil {
		return t, nil
	}
	if !isContextErr(err) && !errors.Is(err, errTreeBuilding) {
		level := slog.LevelError
		if s.pool(g.signer) == poolStrangers {
			level = slog.LevelDebug
		}
		s.cfg.Logger.Log(ctx, level, "cannot chunk a served file", "dataset", g.id, "version", g.version.Version, "err", err)
	}
	return nil, fileError(err, g)
}

// serveChunk streams row chunk i with its proof; the rows go from the file
// to the connection through a base64 encoder, never whole in memory.
func (s *Server) serveChunk(w http.ResponseWriter, r *http.Request) {
	g, e := s.authorize(r)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	t, e := s.grantTree(r.Context(), g)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil || idx >= t.chunkCount() {
		s.refuse(w, r, g.refusal(herr(http.StatusNotFound, "not_found", "chunk %q: the dataset has chunks 0..%d", r.PathValue("index"), t.chunkCount()-1)))
		return
	}
	done, e := s.startDownload(r.Context(), g, chunkSlotWait)
	if e != nil {
		s.refuse(w, r, e)
		return
	}
	defer done()
	f, err := g.file.open()
	if err != nil {
		s.refuse(w, r, fileError(err, g))
		return
	}
	defer f.Close()
	proof, err := t.tree.Proof(int(idx))
	if err != nil {
		s.refuse(w, r, g.refusal(herr(http.StatusInternalServerError, "internal", "proof of chunk %d", idx)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	sw := s.guardStall(w)
	defer s.watchAccess(r.Context(), g, sw)()
	if err := writeChunkJSON(sw, g, t, idx, f, proof); err != nil {
		s.cfg.Logger.Warn("chunk response cut short", "dataset", g.id, "chunk", idx, "err", err)
	}
}

// writeChunkJSON writes a ChunkResponse as encoding/json would, streaming
// the chunk's bytes.
func writeChunkJSON(w io.Writer, g *grant, t *fileTree, idx uint64, f io.ReaderAt, proof merkle.Proof) error {
	off, n := t.chunkRange(idx)
	root := t.tree.Root()
	var head strings.Builder
	fmt.Fprintf(&head, `{"dataset_id":%d,"version":%d,"index":%d,"data":"`, g.id, g.version.Version, idx)
	if _, err := io.WriteString(w, head.String()); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, io.NewSectionReader(f, off, n)); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	var tail strings.Builder
	tail.WriteString(`","proof":[`)
	for i, h := range proof {
		if i > 0 {
			tail.WriteByte(',')
		}
		tail.WriteString(`"` + hex.EncodeToString(h[:]) + `"`)
	}
	r0 := idx * t.rowsPerChunk
	fmt.Fprintf(&tail, `],"chunk_count":%d,"rows_per_chunk":%d,"cols":%d,"row_start":%d,"row_end":%d,"content_root":"%s"}`+"\n",
		t.chunkCount(), t.rowsPerChunk, t.cols, r0, min(r0+t.rowsPerChunk, t.rows), hex.EncodeToString(root[:]))
	_, err := io.WriteString(w, tail.String())
	return err
}
