package jobexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/internal/loadcache"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// ErrChainQuery is a query of a model's or dataset's record that the
// agent's own node did not answer (unreachable, timed out, shutting down):
// nothing is known of the inputs, and a verifier abstains rather than call
// them unavailable. A record the node says does not exist (NotFound,
// InvalidArgument) is not one.
var ErrChainQuery = errors.New("the node did not answer the record query")

// queryErr marks a record query's error as ErrChainQuery unless the node
// answered that the record does not exist.
func queryErr(err error) error {
	switch status.Code(err) {
	case codes.NotFound, codes.InvalidArgument:
		return err
	}
	return fmt.Errorf("%w: %w", ErrChainQuery, err)
}

// DatasetFile is a dataset file checked against its on-chain record: its
// description (the parsed matrix, its row chunks and their Merkle tree, whose
// root is the record's content_root) and the record. One the resolver keeps
// in memory has no Data and no Chunks, only the values they are views of
// (DatasetFile.held).
type DatasetFile struct {
	Record datamarkettypes.Dataset
	*dataset.Description
	fileBytes int64 // the file's size where Data is dropped (held)
}

// ResolverConfig configures a ChainResolver.
type ResolverConfig struct {
	// Models and Datasets read the on-chain records (gRPC query clients).
	Models   modelregistrytypes.QueryClient
	Datasets datamarkettypes.QueryClient
	// Signer signs the requests that fetch datasets from their dataset
	// servers (the provider's key, which has access while it is a live
	// job's assigned provider). Nil: this resolver fetches no datasets (a
	// verifier needs only models).
	Signer signedreq.Signer
	// CacheDir, when set, keeps fetched files on disk by sha256
	// (<dir>/models/<sha>.safetensors, <dir>/datasets/<sha>.npy), at most
	// CacheBytes of them (0: DefaultCacheBytes), least recently used out
	// first but for those kept (see diskCache, KeepModels, PinModel).
	CacheDir   string
	CacheBytes int64
	// Fetch is how URIs are fetched: public http(s) hosts only unless
	// AllowLocal, with time bounds and a memory of failures.
	Fetch FetchPolicy
	// HTTP fetches models and datasets (default: Fetch.HTTPClient()).
	HTTP *http.Client
	// Limits bound the parsers.
	Limits workload.Limits
	// ModelMemoryBytes bounds the parsed weights kept in memory (by the
	// size of their files; at most modelsInMemory models, least recently
	// used out first). 0: DefaultModelMemoryBytes.
	ModelMemoryBytes int64
	// DatasetMemoryBytes bounds the checked dataset versions kept in memory
	// (their values and chunk indexes, datasetMemBytes; at most
	// datasetsInMemory, least recently used out first), and a quarter of it
	// the trees of versions served from disk (InputRows). 0:
	// DefaultDatasetMemoryBytes. MemoryBytes is the sum of the bounds.
	DatasetMemoryBytes int64
}

// ChainResolver is the Resolver of an agent connected to a node: it reads the
// model and dataset records from the chain, fetches the weights from the
// model's uri (http, https or file) and the dataset from its dataset server
// with a signed request, checks both against the on-chain sha256 (and the
// dataset's shape and content_root) before use, and caches them in memory
// (models by sha256, dataset versions by id and version, each within a
// byte budget) and by sha256 on disk within a byte budget.
type ChainResolver struct {
	cfg ResolverConfig

	models   loadcache.Cache[modelKey, any]            // parsed weights by sha256, mlp and gpt alike
	datasets loadcache.Cache[datasetKey, *DatasetFile] // checked versions, within DatasetMemoryBytes
	rows     loadcache.Cache[datasetKey, *InputRows]   // versions served from disk (inputrows.go)
	failed   failures
	checked  checkedFiles // cache files hashed, served as they are
	disk     *diskCache   // nil without a CacheDir
	prefetch inFlight     // PrefetchDataset's downloads, by cache path

	shaMu       sync.Mutex
	datasetShas map[datasetKey]string // a version's file sha256 (KeepDatasets), never stale
}

var _ Resolver = (*ChainResolver)(nil)

// NewChainResolver returns a resolver.
func NewChainResolver(cfg ResolverConfig) *ChainResolver {
	cfg.Fetch = cfg.Fetch.withDefaults()
	if cfg.HTTP == nil {
		cfg.HTTP = cfg.Fetch.HTTPClient()
	}
	if cfg.ModelMemoryBytes <= 0 {
		cfg.ModelMemoryBytes = DefaultModelMemoryBytes
	}
	if cfg.DatasetMemoryBytes <= 0 {
		cfg.DatasetMemoryBytes = DefaultDatasetMemoryBytes
	}
	r := &ChainResolver{
		cfg:      cfg,
		models:   loadcache.Cache[modelKey, any]{MaxEntries: modelsInMemory, Budget: cfg.ModelMemoryBytes},
		datasets: loadcache.Cache[datasetKey, *DatasetFile]{MaxEntries: datasetsInMemory, Budget: cfg.DatasetMemoryBytes},
		rows:     newRowsCache(rowsTreeBytes(cfg.DatasetMemoryBytes)),
		failed:   failures{ttl: cfg.Fetch.FailureTTL},
	}
	if cfg.CacheDir != "" {
		r.disk = newDiskCache(cfg.CacheDir, cfg.CacheBytes)
	}
	return r
}

// KeepModels sets the weights files (by sha256) the disk cache never
// evicts, replacing the previous set: a provider passes the models of the
// jobs it has bid on and holds, whose weights it may serve the validators
// (PinModel adds one as it decides to bid).
func (r *ChainResolver) KeepModels(shas []string) {
	if r.disk == nil {
		return
	}
	rels := make([]string, len(shas))
	for i, sha := range shas {
		rels[i] = weightsRel(strings.ToLower(sha))
	}
	r.disk.keep("models", rels)
}

// CacheUsage is the bytes the disk cache holds and its budget (0, 0
// without a CacheDir).
func (r *ChainResolver) CacheUsage() (used, budget int64) {
	if r.disk == nil {
		return 0, 0
	}
	return r.disk.usage()
}

// Model returns the checked weights of an on-chain mlp model.
func (r *ChainResolver) Model(ctx context.Context, modelID uint64) (*workload.Model, error) {
	return loadModel(ctx, r, modelID, weightsParser[*workload.Model]{
		arch: workload.KindMLP,
		parse: func(f workload.Checked, _ *modelregistrytypes.Model) (*workload.Model, error) {
			return workload.ParseCheckedSafetensors(f, r.cfg.Limits)
		},
		fits: func(m *workload.Model, rec *modelregistrytypes.Model) error {
			if rec.InputDim != uint64(m.InputDim()) || rec.OutputDim != uint64(m.OutputDim()) {
				return fmt.Errorf("weights are %d→%d, the chain records %d→%d",
					m.InputDim(), m.OutputDim(), rec.InputDim, rec.OutputDim)
			}
			return fitsWidths(m, rec.LayerWidths)
		},
	})
}

// weights reads a model's weights file from the disk cache or its uri,
// checked against its sha256; a failed fetch is remembered (failures) and
// not retried before its ttl (under WithFreshFetch, only a content
// mismatch is remembered: ErrContentMismatch). Bytes from the
// uri that are not the file (its owner replaced it, or serves other bytes
// on purpose) are a failed fetch like a 404
// (TestAttackURIServingOtherBytesSkipsTheMirror). Every failure is a
// *uriError, after which loadModel asks the caller's WeightsMirror. Under
// a PartialFetch (WithPartialFetch), an http(s) uri's fetch resumes what an
// earlier one cut by its context received.
func (r *ChainResolver) weights(ctx context.Context, modelID uint64, sha, uri string) (workload.Checked, error) {
	f, err := r.cached("models", weightsName(sha), sha)
	if err == nil {
		return f, nil
	}
	key := "model:" + sha + ":" + uri
	err = r.failed.checkCtx(ctx, key, time.Now())
	if err == nil {
		var data []byte
		if data, err = r.fetchWeights(ctx, sha, uri); err == nil {
			f, err = workload.CheckFile(data, sha)
		}
		// The server's own answer (other bytes, or more than the limit) is
		// remembered even by a fresh fetch (WithFreshFetch).
		if errors.Is(err, workload.ErrDigestMismatch) || errors.Is(err, workload.ErrTooLarge) {
			err = fmt.Errorf("%w: %w", ErrContentMismatch, err)
		}
		if err == nil {
			r.failed.forget(key)
			return f, nil
		}
		// A fetch the caller gave up on (its context ended: canceled or
		// past its deadline) says nothing of the uri, and must not keep it
		// from the callers that wait on the same load
		// (TestAttackStarterDeadlinePoisonsTheURIForWaiters).
		if ctx.Err() == nil {
			r.failed.record(key, err, time.Now())
		}
	}
	return workload.Checked{}, &uriError{uri: uri, err: fmt.Errorf("fetch model %d weights from %q: %w", modelID, uri, err)}
}

// uriError is a model's weights that their uri (or the disk cache) did not
// serve: the caller may ask its own mirror.
type uriError struct {
	uri string
	err error
}

func (e *uriError) Error() string { return e.err.Error() }
func (e *uriError) Unwrap() error { return e.err }

// WeightsMirror fetches a model's weights file by its sha256 from somewhere
// other than the model's uri: for a verifier, the job's provider, which
// computed the job with them and so must hold them. A model's owner who
// takes the weights down after the award (a requester that owns the model,
// to make the verification inconclusive and keep the result for free)
// then stops nothing.
//
// A mirror returns the file checked against sha (workload.CheckFile): it
// must hash what it received to know whether to look elsewhere, and the
// resolver does not hash it again.
type WeightsMirror func(ctx context.Context, sha string) (workload.Checked, error)

type mirrorKey struct{}

// WithWeightsMirror returns ctx carrying m, which the resolver asks for a
// model's weights when their uri fails.
func WithWeightsMirror(ctx context.Context, m WeightsMirror) context.Context {
	return context.WithValue(ctx, mirrorKey{}, m)
}

// ErrWeightsUnavailable is a model's weights that neither their uri nor the
// mirror in the context served.
var ErrWeightsUnavailable = errors.New("model weights unavailable from their uri and from the mirror")

// DatasetRecord reads a dataset's on-chain record as of a version (0: the
// current one): the version's shape, chunking, content_root, sha256 and uri.
func (r *ChainResolver) DatasetRecord(ctx context.Context, datasetID, version uint64) (datamarkettypes.Dataset, error) {
	if r.cfg.Datasets == nil {
		return datamarkettypes.Dataset{}, fmt.Errorf("%w: no datamarket client", ErrUnsupported)
	}
	res, err := r.cfg.Datasets.Dataset(ctx, &datamarkettypes.QueryDatasetRequest{Id: datasetID})
	if err != nil {
		return datamarkettypes.Dataset{}, fmt.Errorf("query dataset %d: %w", datasetID, queryErr(err))
	}
	rec := res.Dataset
	if version == 0 || version == rec.Version {
		return rec, nil
	}
	vres, err := r.cfg.Datasets.DatasetVersion(ctx, &datamarkettypes.QueryDatasetVersionRequest{DatasetId: datasetID, Version: version})
	if err != nil {
		return datamarkettypes.Dataset{}, fmt.Errorf("query dataset %d version %d: %w", datasetID, version, queryErr(err))
	}
	v := vres.DatasetVersion
	rec.Version, rec.Rows, rec.Cols, rec.RowsPerChunk = v.Version, v.Rows, v.Cols, v.RowsPerChunk
	rec.ContentRoot, rec.Sha256, rec.RowsSha256, rec.Uri = v.ContentRoot, v.Sha256, v.RowsSha256, v.Uri
	return rec, nil
}

// DatasetServed asks a version's dataset server whether it serves it,
// without reading its rows (dataserver.Client.Holds): what a provider can
// check before it bids, since the rows open to it only once it has won.
func (r *ChainResolver) DatasetServed(ctx context.Context, datasetID, version uint64) error {
	if r.cfg.Signer == nil {
		return fmt.Errorf("%w: no key to ask dataset %d's server with", ErrUnsupported, datasetID)
	}
	rec, err := r.DatasetRecord(ctx, datasetID, version)
	if err != nil {
		return err
	}
	c := &dataserver.Client{BaseURL: rec.Uri, Signer: r.cfg.Signer, HTTP: r.cfg.HTTP}
	return c.Holds(ctx, rec.Id, rec.Version)
}

// Dataset returns the checked rows of a version of an on-chain dataset (0: current).
func (r *ChainResolver) Dataset(ctx context.Context, datasetID, version uint64) (*workload.Matrix, error) {
	f, err := r.DatasetFile(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	if f.Matrix == nil {
		return nil, fmt.Errorf("%w: dataset %d is %s, not npy-f32", ErrUnsupported, datasetID, f.Format)
	}
	return f.Matrix, nil
}

// download fetches a dataset version from its dataset server with a signed
// request, reading no more than its on-chain shape allows, and nothing of
// one larger than the parser takes (downloadBounds), into a buffer of that
// size: grown as the bytes came, it held up to three times the file at
// once, where a fetch slot counts the file once (BidShape.LoadBytes).
func (r *ChainResolver) download(ctx context.Context, rec datamarkettypes.Dataset) ([]byte, error) {
	var b bytes.Buffer
	if n := valuesBytes(rec.Rows, rec.Cols); n > 0 && n <= r.MaxInputBytes() {
		b.Grow(int(n) + workload.MaxNPYPrefixBytes)
	}
	if err := r.downloadTo(ctx, rec, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// downloadTo is download into w (PrefetchDataset: a file in the disk
// cache); a failure is remembered as download's is.
func (r *ChainResolver) downloadTo(ctx context.Context, rec datamarkettypes.Dataset, w io.Writer) error {
	if r.cfg.Signer == nil {
		return fmt.Errorf("%w: no key to fetch dataset %d with", ErrUnsupported, rec.Id)
	}
	if rec.Uri == "" {
		return fmt.Errorf("dataset %d has no uri", rec.Id)
	}
	want, err := r.downloadBounds(rec)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("dataset:%d:%d:%s", rec.Id, rec.Version, rec.Uri)
	if err := r.failed.checkCtx(ctx, key, time.Now()); err != nil {
		return fmt.Errorf("download dataset %d version %d from %s: %w", rec.Id, rec.Version, rec.Uri, err)
	}
	c := &dataserver.Client{BaseURL: rec.Uri, Signer: r.cfg.Signer, HTTP: r.cfg.HTTP}
	lw := &localWriter{w: w}
	if _, err := c.DownloadTo(ctx, lw, rec.Id, rec.Version, want); err != nil {
		if lw.err != nil {
			// This host's write failed (a full disk or cache): nothing
			// is known of the server (TestAttackDiskWriteErrorIsRememberedAsTheServers).
			return fmt.Errorf("download dataset %d version %d from %s: %w: %w", rec.Id, rec.Version, rec.Uri, ErrLocalWrite, lw.err)
		}
		// A refusal for want of access is not remembered: access opens at a
		// block (the job's award), and the next try may pass. Nor is a
		// download its caller gave up on.
		var he *dataserver.HTTPError
		forbidden := errors.As(err, &he) && he.Status == http.StatusForbidden
		if !forbidden && ctx.Err() == nil {
			r.failed.record(key, err, time.Now())
		}
		return fmt.Errorf("download dataset %d version %d from %s: %w", rec.Id, rec.Version, rec.Uri, err)
	}
	r.failed.forget(key)
	return nil
}

// cached reads a cached file whose name embeds its sha256, checked against
// it. A file that does not match is removed.
func (r *ChainResolver) cached(kind, name, sha string) (workload.Checked, error) {
	if r.disk == nil || len(sha) != 64 {
		return workload.Checked{}, os.ErrNotExist
	}
	rel := filepath.Join(kind, name)
	data, err := os.ReadFile(filepath.Join(r.cfg.CacheDir, rel))
	if err != nil {
		return workload.Checked{}, err
	}
	f, err := workload.CheckFile(data, sha)
	if err != nil {
		_ = os.Remove(filepath.Join(r.cfg.CacheDir, rel))
		r.disk.dropped(rel)
		return workload.Checked{}, os.ErrNotExist
	}
	r.disk.touch(rel, int64(len(data)))
	return f, nil
}

// store writes a checked file to the disk cache within its budget (best
// effort: a file not written only costs a fetch later). It returns why the
// file is not on disk (ErrCacheFull, or the write's error), nil when it is.
func (r *ChainResolver) store(kind, name string, data []byte) error {
	if r.disk == nil {
		return os.ErrNotExist
	}
	dir := filepath.Join(r.cfg.CacheDir, kind)
	rel, path := filepath.Join(kind, name), filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		r.disk.touch(rel, int64(len(data)))
		return nil
	}
	if err := r.disk.reserve(rel, int64(len(data))); err != nil {
		return err
	}
	err := writeFileAtomic(dir, path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		r.disk.dropped(rel)
		return err
	}
	r.disk.written(rel)
	return nil
}

// writeFileAtomic writes to path what write writes, through a temporary
// file in dir, so that a reader never sees part of it.
func writeFileAtomic(dir, path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	werr := write(tmp)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// ErrURIScheme is a uri of a scheme this agent does not fetch from: any but
// http and https, and file on a local network (FetchPolicy.AllowLocal).
// It is the uri's failure, not the agent's (ErrUnsupported): the uri is on
// chain, every agent refuses it alike, and an input check that abstained on
// it let a model's owner void the check of its own weights' absence
// (TestAttackUnfetchableURISchemeMakesInputChecksAbstain).
var ErrURIScheme = errors.New("uri scheme not fetched")

// fetchURI reads an http(s):// or file:// uri, up to the file size limit.
func (r *ChainResolver) fetchURI(ctx context.Context, uri string) ([]byte, error) {
	max := r.maxFileBytes()
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	switch {
	case u.Scheme == "file" && r.cfg.Fetch.AllowLocal:
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		body = f
	case u.Scheme == "http" || u.Scheme == "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		res, err := r.cfg.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("HTTP %d", res.StatusCode)
		}
		if res.ContentLength > max {
			return nil, fmt.Errorf("%w: %d bytes, limit %d", workload.ErrTooLarge, res.ContentLength, max)
		}
		body = res.Body
	default:
		return nil, fmt.Errorf("%w: %q (want http or https; file only on a local network)", ErrURIScheme, u.Scheme)
	}
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: file over the limit of %d bytes", workload.ErrTooLarge, max)
	}
	return data, nil
}
