package dataserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aichain/aichain/x/datamarket/types"
)

// servedDataset is a dataset this server serves: one of its owners' (files
// found in the folder by sha256), or mapped to a file explicitly (served
// from that file alone).
type servedDataset struct {
	id      uint64
	owner   string
	version uint64 // the current version when last read
	// file is the explicitly mapped file ("": by sha256 among the folder's).
	file string
}

// catalog is the set of datasets this server serves, read from the chain at
// start, on Reload and every Refresh: the datasets its owners listed and the
// explicitly mapped ids.
type catalog struct {
	mu   sync.RWMutex
	byID map[uint64]servedDataset
}

func (c *catalog) get(id uint64) (servedDataset, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.byID[id]
	return d, ok
}

func (c *catalog) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byID)
}

// read lists the owners' datasets and the explicitly mapped ones. An
// explicit id whose owner is not one of the owners is still served (the
// operator named it).
func readCatalog(ctx context.Context, chain Chain, owners []string, explicit map[uint64]string) (map[uint64]servedDataset, error) {
	out := map[uint64]servedDataset{}
	for _, owner := range owners {
		ds, err := chain.DatasetsOf(ctx, owner)
		if err != nil {
			return nil, fmt.Errorf("%w: datasets of %s: %w", ErrChainUnavailable, owner, err)
		}
		for _, d := range ds {
			// The chain lists by owner; check it anyway, so that a node
			// that answers wrongly cannot make this server serve a copy.
			if d.Owner == owner {
				out[d.Id] = servedDataset{id: d.Id, owner: d.Owner, version: d.Version}
			}
		}
	}
	for id, path := range explicit {
		d, err := chain.Dataset(ctx, id)
		if err != nil {
			return nil, chainErr(err, "dataset %d", id)
		}
		out[id] = servedDataset{id: id, owner: d.Owner, version: d.Version, file: path}
	}
	return out, nil
}

// errFileChanged is a served file that changed on disk since it was indexed.
var errFileChanged = errors.New("file changed on disk")

// ErrChainUnavailable is a chain query that failed for another reason than
// a missing record (the node is not up yet, or does not answer): loading
// may be tried again.
var ErrChainUnavailable = errors.New("chain unavailable")

// chainErr marks a failed chain query as ErrChainUnavailable unless it is
// ErrNotFound.
func chainErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrChainUnavailable, what, err)
}

// checkExplicit checks that each explicitly mapped file is one of its
// dataset's on-chain versions (by sha256), so that a wrong mapping fails at
// start rather than on a buyer's request.
func (s *Server) checkExplicit(ctx context.Context) error {
	for id, path := range s.cfg.Datasets {
		e, err := hashFile(ctx, path)
		if err != nil {
			return fmt.Errorf("dataset %d: %w", id, err)
		}
		d, err := s.cfg.Chain.Dataset(ctx, id)
		if err != nil {
			return chainErr(err, "dataset %d", id)
		}
		found := false
		for v := d.Version; v >= 1 && !found; v-- {
			dv, err := s.version(ctx, id, v)
			if err != nil {
				return chainErr(err, "dataset %d version %d", id, v)
			}
			if strings.EqualFold(dv.Sha256, e.sha) {
				if _, err := s.tree(ctx, e, dv, 0); err != nil {
					return fmt.Errorf("dataset %d version %d (%s): %w", id, v, path, err)
				}
				found = true
			}
		}
		if !found {
			return fmt.Errorf("dataset %d: %s has sha256 %s, which is none of the dataset's %d on-chain versions (current %s)",
				id, path, e.sha, d.Version, d.Sha256)
		}
	}
	return nil
}

// fileFor returns the indexed file of a served dataset's version: for an
// explicitly mapped id its mapped file, when that file has the version's
// sha256; for an owner's dataset the file of the folder with the version's
// sha256. A file of the folder never serves an explicit id, nor a mapped file
// an owner's dataset (TestAttackExplicitDatasetServesAnUnmappedFile).
func (s *Server) fileFor(d servedDataset, dv types.DatasetVersion) (indexed, bool) {
	if d.file != "" {
		return s.index.mapped(d.file, dv.Sha256)
	}
	return s.index.lookup(dv.Sha256)
}
