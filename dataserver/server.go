package dataserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
)

// Config configures a Server.
type Config struct {
	Chain Chain
	// Datasets maps dataset ids to files; each is checked at Preload.
	Datasets map[uint64]string
	// DataDir, when set, is scanned for .npy files: a request for a dataset
	// version is served from the file whose sha256 the chain records for it.
	DataDir string
	// Window is how old a request's timestamp may be (default 60 s); nonces
	// are remembered for as long.
	Window time.Duration
	// FutureSkew is how far ahead of the server's clock a timestamp may be (default 5 s).
	FutureSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger logs refusals and loads (default: discard).
	Logger *log.Logger
	// ChainTimeout bounds each chain query (default 10 s).
	ChainTimeout time.Duration
}

type fileKey struct{ id, version uint64 }

type dirEntry struct {
	size  int64
	mtime time.Time
	sha   string
}

// Server serves dataset files to licensed, signed requests.
type Server struct {
	cfg Config

	mu     sync.Mutex
	files  map[fileKey]*dataset.Description
	dir    map[string]dirEntry // path → sha256 (cached by size and mtime)
	nonces map[string]time.Time
}

// New returns a server; call Preload to check the explicitly mapped files.
func New(cfg Config) (*Server, error) {
	if cfg.Chain == nil {
		return nil, errors.New("dataserver: no chain")
	}
	if cfg.Window <= 0 {
		cfg.Window = 60 * time.Second
	}
	if cfg.FutureSkew <= 0 {
		cfg.FutureSkew = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = log.New(io.Discard, "", 0)
	}
	if cfg.ChainTimeout <= 0 {
		cfg.ChainTimeout = 10 * time.Second
	}
	return &Server{
		cfg: cfg, files: map[fileKey]*dataset.Description{}, dir: map[string]dirEntry{}, nonces: map[string]time.Time{},
	}, nil
}

// Preload checks every explicitly mapped file against the chain: its sha256
// must be one of the dataset's versions (newest first), and its shape and
// Merkle root must match that version's record. It fails on the first mismatch.
func (s *Server) Preload(ctx context.Context) error {
	for id, path := range s.cfg.Datasets {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("dataset %d: %w", id, err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		d, err := s.cfg.Chain.Dataset(ctx, id)
		if err != nil {
			return fmt.Errorf("dataset %d: %w", id, err)
		}
		found := false
		for v := d.Version; v >= 1 && !found; v-- {
			dv, err := s.cfg.Chain.DatasetVersion(ctx, id, v)
			if err != nil {
				return fmt.Errorf("dataset %d version %d: %w", id, v, err)
			}
			if dv.Sha256 != sha {
				continue
			}
			f, err := Describe(data, dv.RowsPerChunk)
			if err != nil {
				return fmt.Errorf("dataset %d (%s): %w", id, path, err)
			}
			if err := f.Check(dv.Sha256, dv.Rows, dv.Cols, dv.RowsPerChunk, dv.ContentRoot); err != nil {
				return fmt.Errorf("dataset %d version %d (%s): %w", id, v, path, err)
			}
			s.mu.Lock()
			s.files[fileKey{id, v}] = f
			s.mu.Unlock()
			s.cfg.Logger.Printf("serving dataset %d version %d from %s (sha256 %s)", id, v, path, sha)
			found = true
		}
		if !found {
			return fmt.Errorf("dataset %d: %s has sha256 %s, which is none of the dataset's %d on-chain versions (current %s)",
				id, path, sha, d.Version, d.Sha256)
		}
	}
	return nil
}

// httpError is a refusal with its status and code.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.code + ": " + e.msg }

func herr(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *httpError) {
	w.Header().Set("Content-Type", "application/json")
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `AichainSignature realm="aichain-dataserver"`)
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(ErrorResponse{Error: e.code, Message: e.msg})
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/datasets/{id}", s.serveFile)
	mux.HandleFunc("GET /v1/datasets/{id}/chunks/{index}", s.serveChunk)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	f, id, version, e := s.authorize(r)
	if e != nil {
		s.cfg.Logger.Printf("refused %s %s: %v", r.Method, r.URL.RequestURI(), e)
		writeError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Header().Set(HeaderSha256, f.Sha256)
	w.Header().Set(HeaderVersion, strconv.FormatUint(version, 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dataset-%d-v%d.npy"`, id, version))
	_, _ = w.Write(f.Data)
}

func (s *Server) serveChunk(w http.ResponseWriter, r *http.Request) {
	f, id, version, e := s.authorize(r)
	if e == nil && f != nil {
		idx, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
		if err != nil || idx >= uint64(len(f.Chunks)) {
			e = herr(http.StatusNotFound, "not_found", "chunk %q: the dataset has chunks 0..%d", r.PathValue("index"), len(f.Chunks)-1)
		} else {
			chunk, err := merkle.NewChunk(f.Tree, int(idx), f.Chunks[idx])
			if err != nil {
				e = herr(http.StatusInternalServerError, "internal", "proof: %v", err)
			} else {
				res := ChunkResponse{
					DatasetID: id, Version: version, Chunk: chunk, ChunkCount: uint64(len(f.Chunks)),
					RowsPerChunk: f.RowsPerChunk, Cols: f.Cols, RowStart: idx * f.RowsPerChunk,
					RowEnd:      min((idx+1)*f.RowsPerChunk, f.Rows),
					ContentRoot: hex.EncodeToString(f.Root()),
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(res)
				return
			}
		}
	}
	s.cfg.Logger.Printf("refused %s %s: %v", r.Method, r.URL.RequestURI(), e)
	writeError(w, e)
}

// authorize resolves the dataset version the request names, checks that this
// server holds it, checks the signature, freshness and nonce, then asks the
// chain whether the signer has access.
func (s *Server) authorize(r *http.Request) (*dataset.Description, uint64, uint64, *httpError) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ChainTimeout)
	defer cancel()
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return nil, 0, 0, herr(http.StatusBadRequest, "bad_request", "dataset id %q is not a positive integer", r.PathValue("id"))
	}
	var version uint64
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.ParseUint(v, 10, 64); err != nil || version == 0 {
			return nil, 0, 0, herr(http.StatusBadRequest, "bad_request", "version %q is not a positive integer", v)
		}
	}
	f, version, e := s.lookup(ctx, id, version)
	if e != nil {
		return nil, 0, 0, e
	}
	address, e := s.verifySignature(ctx, r, id)
	if e != nil {
		return nil, 0, 0, e
	}
	ok, err := s.cfg.Chain.HasAccess(ctx, id, address, version)
	if err != nil {
		return nil, 0, 0, chainError(err, "access of %s to dataset %d", address, id)
	}
	if !ok {
		return nil, 0, 0, herr(http.StatusForbidden, "no_access",
			"%s has no valid licence for dataset %d version %d (buy one: aichaind tx datamarket purchase-license)", address, id, version)
	}
	return f, id, version, nil
}

func chainError(err error, format string, args ...any) *httpError {
	if errors.Is(err, ErrNotFound) {
		return herr(http.StatusNotFound, "not_found", "%s: %v", fmt.Sprintf(format, args...), err)
	}
	return herr(http.StatusBadGateway, "chain_unavailable", "%s: %v", fmt.Sprintf(format, args...), err)
}

// lookup finds the file of dataset id at version (0 = current on chain).
func (s *Server) lookup(ctx context.Context, id, version uint64) (*dataset.Description, uint64, *httpError) {
	d, err := s.cfg.Chain.Dataset(ctx, id)
	if err != nil {
		return nil, 0, chainError(err, "dataset %d", id)
	}
	if version == 0 {
		version = d.Version
	}
	if version > d.Version {
		return nil, 0, herr(http.StatusNotFound, "not_found", "dataset %d has %d versions", id, d.Version)
	}
	s.mu.Lock()
	f := s.files[fileKey{id, version}]
	s.mu.Unlock()
	if f != nil {
		return f, version, nil
	}
	if s.cfg.DataDir == "" {
		return nil, 0, herr(http.StatusNotFound, "not_found", "this server does not hold dataset %d version %d", id, version)
	}
	dv, err := s.cfg.Chain.DatasetVersion(ctx, id, version)
	if err != nil {
		return nil, 0, chainError(err, "dataset %d version %d", id, version)
	}
	path, err := s.findInDir(dv.Sha256)
	if err != nil {
		return nil, 0, herr(http.StatusInternalServerError, "internal", "scan %s: %v", s.cfg.DataDir, err)
	}
	if path == "" {
		return nil, 0, herr(http.StatusNotFound, "not_found", "this server does not hold dataset %d version %d (sha256 %s)", id, version, dv.Sha256)
	}
	f, err = DescribeFile(path, dv.RowsPerChunk)
	if err == nil {
		err = f.Check(dv.Sha256, dv.Rows, dv.Cols, dv.RowsPerChunk, dv.ContentRoot)
	}
	if err != nil {
		s.cfg.Logger.Printf("dataset %d version %d: %s does not match the chain: %v", id, version, path, err)
		return nil, 0, herr(http.StatusNotFound, "not_found", "this server's file for dataset %d version %d does not match the chain", id, version)
	}
	s.mu.Lock()
	s.files[fileKey{id, version}] = f
	s.mu.Unlock()
	s.cfg.Logger.Printf("serving dataset %d version %d from %s (sha256 %s)", id, version, path, f.Sha256)
	return f, version, nil
}

// findInDir returns the .npy file under DataDir with the given sha256 ("" if
// none), hashing only files that are new or changed since the last scan.
func (s *Server) findInDir(sha string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := ""
	err := filepath.WalkDir(s.cfg.DataDir, func(path string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".npy") {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		e, ok := s.dir[path]
		if !ok || e.size != info.Size() || !e.mtime.Equal(info.ModTime()) {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			e = dirEntry{size: info.Size(), mtime: info.ModTime(), sha: hex.EncodeToString(sum[:])}
			s.dir[path] = e
		}
		if e.sha == sha && found == "" {
			found = path
		}
		return nil
	})
	return found, err
}

// verifySignature checks the request's headers and signature and returns the
// signer's address.
func (s *Server) verifySignature(ctx context.Context, r *http.Request, id uint64) (string, *httpError) {
	address := r.Header.Get(HeaderAddress)
	tsText := r.Header.Get(HeaderTimestamp)
	nonce := r.Header.Get(HeaderNonce)
	sigText := r.Header.Get(HeaderSignature)
	if address == "" || tsText == "" || nonce == "" || sigText == "" {
		return "", herr(http.StatusUnauthorized, "missing_signature",
			"sign the request: headers %s, %s, %s and %s are required", HeaderAddress, HeaderTimestamp, HeaderNonce, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", herr(http.StatusUnauthorized, "bad_signature", "timestamp %q is not Unix seconds", tsText)
	}
	now := s.cfg.Now()
	signedAt := time.Unix(ts, 0)
	if now.Sub(signedAt) > s.cfg.Window {
		return "", herr(http.StatusUnauthorized, "stale_request", "signed at %s, more than %s ago", signedAt.UTC().Format(time.RFC3339), s.cfg.Window)
	}
	if signedAt.Sub(now) > s.cfg.FutureSkew {
		return "", herr(http.StatusUnauthorized, "future_request", "signed at %s, ahead of the server's clock", signedAt.UTC().Format(time.RFC3339))
	}
	if len(nonce) < 8 || len(nonce) > 128 {
		return "", herr(http.StatusUnauthorized, "bad_signature", "nonce must be 8..128 characters")
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		return "", herr(http.StatusUnauthorized, "bad_signature", "signature is not base64: %v", err)
	}
	pub, err := s.cfg.Chain.PubKey(ctx, address)
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoPubKey) {
			return "", herr(http.StatusUnauthorized, "unknown_account", "%s: %v", address, err)
		}
		return "", chainError(err, "account %s", address)
	}
	if !pub.VerifySignature(CanonicalMessage(id, address, ts, nonce, r.URL.RequestURI()), sig) {
		return "", herr(http.StatusUnauthorized, "bad_signature", "the signature does not verify with %s's on-chain key", address)
	}
	if !s.useNonce(address, nonce, now) {
		return "", herr(http.StatusUnauthorized, "replayed_request", "nonce %q was already used", nonce)
	}
	return address, nil
}

// useNonce records a nonce; false if the address used it within the window.
// Entries older than the window are dropped (their requests are stale anyway).
func (s *Server) useNonce(address, nonce string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.nonces {
		if now.Sub(t) > 2*s.cfg.Window {
			delete(s.nonces, k)
		}
	}
	key := address + "\n" + nonce
	if _, seen := s.nonces[key]; seen {
		return false
	}
	s.nonces[key] = now
	return true
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
