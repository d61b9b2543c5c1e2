package jobexec

import "github.com/aichain/aichain/workload"

// DefaultModelMemoryBytes is the parsed weights a resolver keeps in memory
// when ResolverConfig.ModelMemoryBytes is 0: two files of the parsers'
// default 1 GiB limit.
const DefaultModelMemoryBytes = 2 << 30

// modelsInMemory bounds the parsed models a resolver keeps in memory, however
// small: the models of the jobs an agent sizes, runs and verifies at once.
const modelsInMemory = 16

// modelKey names a parsed weights file: its sha256, the architecture it was
// parsed as and, for gpt-f32, the on-chain config it was parsed with. Model
// ids that register the same file with the same config share one entry, so
// a file registered under many ids is held once (the ids' own records are
// checked against it on every use: weightsParser.fits).
type modelKey struct {
	arch string
	sha  string
	gpt  workload.GPTConfig
}

// MemoryBytes is the most the resolver keeps in memory of its own, beside
// what its callers hold while they use it: the parsed models
// (ModelMemoryBytes), the checked dataset versions (DatasetMemoryBytes) and
// the trees of the versions served from disk (rowsTreeBytes). A value over
// its cache's bound is handed to its caller and not kept. A provider takes
// it out of its memory budget before it admits jobs: these caches, full of
// an attacker's large models and dataset versions, were counted nowhere
// (TestAttackCachedModelsOverrunTheMemoryBudget,
// TestAttackCachedDatasetFilesOverrunTheMemoryBudget).
func (r *ChainResolver) MemoryBytes() uint64 {
	return uint64(r.cfg.ModelMemoryBytes) + uint64(r.cfg.DatasetMemoryBytes) + uint64(rowsTreeBytes(r.cfg.DatasetMemoryBytes))
}
