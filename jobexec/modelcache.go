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
