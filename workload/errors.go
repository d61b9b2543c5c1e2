package workload

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// (test with errors.Is), with details in the message.
var (
	// ErrShape reports inconsistent dimensions or slice lengths.
	ErrShape = errors.New("workload: shape mismatch")
	// ErrInvalidParams reports invalid workload parameters (zero or negative
	// sizes, sizes above the limits, overflow).
	ErrInvalidParams = errors.New("workload: invalid parameters")
	// ErrChunkIndex reports a chunk index outside [0, chunk count).
	ErrChunkIndex = errors.New("workload: chunk index out of range")
	// ErrDigestMismatch reports that a file's SHA-256 differs from the
	// expected digest.
	ErrDigestMismatch = errors.New("workload: sha256 digest mismatch")
	// ErrBadDigest reports an expected digest that is not 64 hex characters.
	ErrBadDigest = errors.New("workload: malformed expected sha256 digest")
	// ErrMalformed reports a file that does not follow its format.
	ErrMalformed = errors.New("workload: malformed file")
	// ErrTooLarge reports an input above a configured limit.
	ErrTooLarge = errors.New("workload: input exceeds limit")
	// ErrUnsupported reports a well-formed file using a feature this package
	// refuses (another dtype, Fortran order, 1-D arrays, ...).
	ErrUnsupported = errors.New("workload: unsupported format feature")
	// ErrNonFinite reports a NaN or infinite value in a model or dataset.
	ErrNonFinite = errors.New("workload: non-finite value")
	// ErrUnknownTensor reports a safetensors tensor that is not part of the
	// layers.{i}.weight / layers.{i}.bias scheme.
	ErrUnknownTensor = errors.New("workload: unknown tensor")
	// ErrLayers reports missing or inconsistent layers in a model.
	ErrLayers = errors.New("workload: inconsistent model layers")
)
