package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/internal/slots"
	"github.com/aichain/aichain/x/datamarket/types"
)

// Config configures a Server.
type Config struct {
	Chain Chain
	// Owners: serve the datasets these accounts own, from the files in
	// DataDir with their versions' sha256.
	Owners []string
	// Datasets maps dataset ids to files, served whoever owns them; each is
	// checked against the chain at start.
	Datasets map[uint64]string
	// DataDir is indexed (sha256 of every .npy file) at start and on Reload.
	DataDir string
	// Audiences are this server's public base URLs (signedreq.Audience):
	// requests signed for another server are refused.
	Audiences []string
	// Prefix is the bech32 account prefix (default "aic").
	Prefix string
	// Window is how old a request may be (default 60 s); FutureSkew how far
	// ahead (default 5 s).
	Window, FutureSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger logs refusals and loads (default: discard).
	Logger *slog.Logger
	// ChainTimeout bounds each chain query (default 10 s).
	ChainTimeout time.Duration
	// Refresh is how often the owners' listings are re-read (default 30 s).
	Refresh time.Duration
	// AccessTTL is how long a HasAccess answer is reused, and how often a
	// running download's access is asked again (default 5 s; downloads.go).
	AccessTTL time.Duration
	// LookupsPerPool bounds concurrent access look-ups in each of four
	// pools (default 8): bonded validators' operator accounts, active
	// providers, accounts that had access in the last 10 minutes, everyone
	// else. A look-up
	// beyond its pool's slots is refused with 503 and Retry-After.
	LookupsPerPool int
	// MaxKnown bounds the accounts remembered as having had access
	// (default 10,000; the least recently seen are forgotten first).
	MaxKnown int
	// MaxTrees bounds the cached Merkle trees (default 64); MaxAccess the
	// cached access answers (default 65,536).
	MaxTrees, MaxAccess int
	// TreeDir, when set, keeps every built tree's leaves (32 bytes a
	// chunk) in a file of this folder (made if missing), so that a tree
	// evicted from memory, or lost in a restart, comes back without reading
	// its version's file; empty: trees are kept in memory only
	// (treestore.go).
	TreeDir string
	// NoncesPerAddress caps one account's requests per window (default 20,000).
	NoncesPerAddress int
	// MaxRefused bounds the accesses remembered as refused, so that a
	// refused request is not served once access opens (default 65,536;
	// refused.go); RefusedPerSigner those of one signer (default 256), so
	// that one account's refusals push out only its own.
	MaxRefused, RefusedPerSigner int
	// MaxDownloads bounds the downloads (files and chunks) in flight in all
	// (default 64), DownloadsPerAccount those of one account (default 4);
	// past either, 503 busy. ReservedDownloads of MaxDownloads are taken
	// only by the assigned providers of live compute jobs and the bonded
	// validators (default a quarter of MaxDownloads; at most MaxDownloads −
	// 1). StallTimeout drops a download whose reader takes nothing for that
	// long (default 30 s; downloads.go).
	MaxDownloads, DownloadsPerAccount, ReservedDownloads int
	StallTimeout                                         time.Duration
	// TreeWait is how long a chunk request or a probe waits for its
	// version's chunk tree to be built before it is answered 503 busy
	// (default 2 s: under the sidecar's 5 s probe timeout, whose unanswered
	// probe votes the dataset gone); the build goes on (tree.go).
	TreeWait time.Duration
	// WriteTimeout is the HTTP server's (0: none): pushing the write
	// deadline for a stalled reader replaces the server's, so it is kept
	// here, and a response's deadline never goes past it.
	WriteTimeout time.Duration
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "aic"
	}
	if c.Window <= 0 {
		c.Window = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.ChainTimeout <= 0 {
		c.ChainTimeout = 10 * time.Second
	}
	if c.Refresh <= 0 {
		c.Refresh = 30 * time.Second
	}
	if c.AccessTTL <= 0 {
		c.AccessTTL = 5 * time.Second
	}
	if c.LookupsPerPool <= 0 {
		c.LookupsPerPool = 8
	}
	if c.MaxKnown <= 0 {
		c.MaxKnown = 10_000
	}
	if c.MaxTrees <= 0 {
		c.MaxTrees = 64
	}
	if c.MaxAccess <= 0 {
		c.MaxAccess = 65_536
	}
	c.downloadDefaults()
}

func (c *Config) downloadDefaults() {
	if c.MaxRefused <= 0 {
		c.MaxRefused = 65_536
	}
	if c.RefusedPerSigner <= 0 {
		c.RefusedPerSigner = 256
	}
	if c.MaxDownloads <= 0 {
		c.MaxDownloads = 64
	}
	if c.DownloadsPerAccount <= 0 {
		c.DownloadsPerAccount = 4
	}
	if c.ReservedDownloads <= 0 {
		c.ReservedDownloads = c.MaxDownloads / 4
	}
	c.ReservedDownloads = min(c.ReservedDownloads, c.MaxDownloads-1)
	if c.StallTimeout <= 0 {
		c.StallTimeout = 30 * time.Second
	}
	if c.TreeWait <= 0 {
		c.TreeWait = 2 * time.Second
	}
}

// refusalTTL is how long a refusal is remembered: until every request it
// covers is stale (signed at most FutureSkew ahead, fresh for Window).
func (c *Config) refusalTTL() time.Duration {
	skew := c.FutureSkew
	if skew <= 0 {
		skew = 5 * time.Second // the verifier's default
	}
	return c.Window + skew + time.Second
}

type accessKey struct {
	id      uint64
	addr    string
	version uint64
}

type accessAnswer struct {
	ok      bool
	version uint64
	// byJob: a live compute job grants the access (Access.JobID).
	byJob bool
}

// Server serves dataset files to signed requests of accounts with access.
type Server struct {
	cfg      Config
	verifier *signedreq.Verifier
	nonces   *signedreq.NonceStore
	index    index
	catalog  catalog
	versions *lru[[2]uint64, types.DatasetVersion]
	trees    *lru[treeKey, *fileTree]
	access   *lru[accessKey, accessAnswer]
	lk       *lookups
	refused  refusalBook
	dl       slots.Counter // downloads in flight (downloads.go)
	// notBefore is the first Unix second whose signed requests are served:
	// the one after the second New ran in (start.go).
	notBefore int64
	building  chan struct{}

	flightsMu sync.Mutex
	flights   map[[2]uint64]*versionFlight

	buildsMu sync.Mutex
	builds   map[treeKey]*treeBuild

	refreshMu   sync.Mutex
	lastRefresh time.Time
}

// ErrConfig is a server configuration that cannot work.
var ErrConfig = errors.New("dataserver: bad configuration")

// New returns a server; call Load before serving.
func New(cfg Config) (*Server, error) {
	if cfg.Chain == nil {
		return nil, fmt.Errorf("%w: no chain", ErrConfig)
	}
	if len(cfg.Audiences) == 0 {
		return nil, fmt.Errorf("%w: no audience (the server's public base URL)", ErrConfig)
	}
	if len(cfg.Owners) == 0 && len(cfg.Datasets) == 0 {
		return nil, fmt.Errorf("%w: nothing to serve: give owners (with a data dir) or explicit datasets", ErrConfig)
	}
	if len(cfg.Owners) > 0 && cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: owners given without a data dir to find their files in", ErrConfig)
	}
	cfg.defaults()
	if cfg.TreeDir != "" {
		if err := os.MkdirAll(cfg.TreeDir, 0o700); err != nil {
			return nil, fmt.Errorf("%w: tree folder: %w", ErrConfig, err)
		}
	}
	return &Server{
		cfg:       cfg,
		notBefore: cfg.Now().Unix() + 1,
		verifier: &signedreq.Verifier{Audiences: cfg.Audiences, Prefix: cfg.Prefix, Window: cfg.Window,
			FutureSkew: cfg.FutureSkew, Now: cfg.Now},
		nonces:   &signedreq.NonceStore{Window: cfg.Window, PerAddress: cfg.NoncesPerAddress},
		catalog:  catalog{byID: map[uint64]servedDataset{}},
		versions: newLRU[[2]uint64, types.DatasetVersion](4096),
		trees:    newLRU[treeKey, *fileTree](cfg.MaxTrees),
		access:   newLRU[accessKey, accessAnswer](cfg.MaxAccess),
		lk:       newLookups(cfg.LookupsPerPool, cfg.MaxKnown),
		refused:  newRefusalBook(cfg.MaxRefused, cfg.RefusedPerSigner, cfg.refusalTTL()),
		building: make(chan struct{}, 2),
		flights:  map[[2]uint64]*versionFlight{},
		builds:   map[treeKey]*treeBuild{},
	}, nil
}

// Load indexes the folder and the explicit files, reads the served datasets
// from the chain, and checks every explicit file against its dataset's
// versions, and reads the bonded validators and the active providers (a
// failure there is logged, not returned). Call it at start and on SIGHUP;
// the server keeps serving with the previous index while it runs, and keeps
// it if Load fails. It returns ctx's error soon after ctx ends, hashing
// included. It returns no sooner than the second after the one New ran in,
// the first whose signed requests are served (start.go).
func (s *Server) Load(ctx context.Context) error {
	start := time.Now()
	n, err := s.index.build(ctx, s.cfg.DataDir, s.explicitFiles())
	if err != nil {
		return err
	}
	s.pruneLeaves()
	if err := s.checkExplicit(ctx); err != nil {
		return err
	}
	if err := s.refreshCatalog(ctx); err != nil {
		return err
	}
	_ = s.refreshMarked(ctx)
	s.cfg.Logger.Info("indexed", "files", n, "datasets_served", s.catalog.len(), "seconds", time.Since(start).Seconds())
	return s.awaitStart(ctx)
}

func (s *Server) refreshCatalog(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ChainTimeout)
	defer cancel()
	byID, err := readCatalog(ctx, s.cfg.Chain, s.cfg.Owners, s.cfg.Datasets)
	if err != nil {
		return err
	}
	s.catalog.mu.Lock()
	s.catalog.byID = byID
	s.catalog.mu.Unlock()
	return nil
}

// refreshSoon re-reads the served datasets for a signed request that names
// one not in the list (an owner may have just listed it), at most once every
// 2 seconds whoever asks; it reports whether it re-read them. The re-read
// is the server's, not the request's: it runs to its end (ChainTimeout)
// when the request is dropped, so that a client dropping its requests at
// once cannot cancel every re-read and keep a newly listed dataset 404 until
// the next Refresh (TestAttackDroppedRequestsCancelTheCatalogRefresh).
func (s *Server) refreshSoon(ctx context.Context) bool {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if now := s.cfg.Now(); now.Sub(s.lastRefresh) >= 2*time.Second {
		s.lastRefresh = now
		if err := s.refreshCatalog(context.WithoutCancel(ctx)); err != nil {
			s.cfg.Logger.Warn("cannot re-read the served datasets", "err", err)
			return false
		}
		return true
	}
	return false
}

// Run re-indexes the folder (hashing only new or changed files) and
// re-reads the owners' listings every Refresh until ctx ends, so that a
// dataset listed later is served without a restart.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.index.build(ctx, s.cfg.DataDir, s.explicitFiles()); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("cannot re-index the folder; keeping the last index", "err", err)
			} else if err == nil {
				s.pruneLeaves()
			}
			if err := s.refreshCatalog(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("cannot re-read the served datasets; keeping the last list", "err", err)
			}
		}
	}
}

func (s *Server) explicitFiles() []string {
	extra := make([]string, 0, len(s.cfg.Datasets))
	for _, p := range s.cfg.Datasets {
		extra = append(extra, p)
	}
	return extra
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/datasets/{id}", s.serveFile)
	mux.HandleFunc("GET /v1/datasets/{id}/chunks/{index}", s.serveChunk)
	mux.HandleFunc("HEAD /v1/datasets/{id}", s.serveProbe)
	mux.HandleFunc("HEAD /v1/datasets/{id}/chunks/{index}", s.serveProbe)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}
