package jobexec

import (
	"context"
	"fmt"
	"strings"

	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// cachedWeights is a model's parsed weights and the sha256 they were
// checked against: valid while the chain records the same sha256.
type cachedWeights[M any] struct {
	sha   string
	model M
}

// weightsParser checks a model's record (before any fetch) and parses its
// weights file against it.
type weightsParser[M any] struct {
	check func(rec *modelregistrytypes.Model) error
	parse func(data []byte, sha string, rec *modelregistrytypes.Model) (M, error)
}

// loadModel returns model modelID's checked weights of one architecture
// (mlp, gpt): from the memory cache while the on-chain sha256 is unchanged,
// otherwise read from the disk cache or the model's uri, parsed and checked
// by p, and cached (by id in memory, by sha256 on disk).
func loadModel[M any](ctx context.Context, r *ChainResolver, cache map[uint64]cachedWeights[M], modelID uint64, p weightsParser[M]) (M, error) {
	var zero M
	if r.cfg.Models == nil {
		return zero, fmt.Errorf("%w: no model registry client", ErrUnsupported)
	}
	res, err := r.cfg.Models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: modelID})
	if err != nil {
		return zero, fmt.Errorf("query model %d: %w", modelID, err)
	}
	rec := &res.Model
	if p.check != nil {
		if err := p.check(rec); err != nil {
			return zero, err
		}
	}
	sha := strings.ToLower(rec.Sha256)
	r.mu.Lock()
	c, ok := cache[modelID]
	r.mu.Unlock()
	if ok && c.sha == sha {
		return c.model, nil
	}
	data, err := r.weights(ctx, modelID, sha, rec.Uri)
	if err != nil {
		return zero, err
	}
	m, err := p.parse(data, sha, rec)
	if err != nil {
		return zero, fmt.Errorf("model %d weights from %q: %w", modelID, rec.Uri, err)
	}
	r.store("models", sha+".safetensors", data)
	r.mu.Lock()
	cache[modelID] = cachedWeights[M]{sha: sha, model: m}
	r.mu.Unlock()
	return m, nil
}
