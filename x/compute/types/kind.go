package types

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// The workload table: one row (WorkloadKind) per kind of job, registered
// with RegisterKind (kind_gemm.go, kind_mlp.go, kind_gpt.go). Spec validation
// (WorkloadSpec.Validate), hardware descriptions (Hardware.Validate), job
// creation (ResolveWorkload, in the keeper's CreateJob) and the simulation's
// job factory read the table; nothing else switches on a kind. A new kind is
// one more row.

// maxSize bounds every size a workload names or produces (rows, chunk_rows,
// gemm's dimensions): the workload package computes in int.
const maxSize = math.MaxInt32

// SpecField names the WorkloadSpec sub-message that carries a kind's
// parameters, by its proto field name. Every message-typed field of
// WorkloadSpec is such a sub-message, found by reflection: a kind that needs
// a new one adds the proto field and names it in its row, nothing else.
type SpecField string

const (
	// SpecGemm is WorkloadSpec.gemm (GemmSpec: m, n, k, seed).
	SpecGemm SpecField = "gemm"
	// SpecMLP is WorkloadSpec.mlp (MlpSpec: model_id, dataset_id).
	SpecMLP SpecField = "mlp"
	// SpecGPT is WorkloadSpec.gpt (GptSpec: model_id, dataset_id or
	// prompts, max_new_tokens).
	SpecGPT SpecField = "gpt"
)

// String returns the sub-message's field name.
func (f SpecField) String() string { return string(f) }

// specFieldIndex maps each sub-message's proto field name to its index in
// the WorkloadSpec struct: the pointer fields with a protobuf tag.
var specFieldIndex = func() map[SpecField]int {
	out := map[SpecField]int{}
	t := reflect.TypeOf(WorkloadSpec{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("protobuf")
		if !ok || f.Type.Kind() != reflect.Pointer {
			continue
		}
		for _, part := range strings.Split(tag, ",") {
			if name, ok := strings.CutPrefix(part, "name="); ok {
				out[SpecField(name)] = i
			}
		}
	}
	return out
}()

// specFields lists WorkloadSpec's sub-messages in field order.
var specFields = func() []SpecField {
	out := make([]SpecField, 0, len(specFieldIndex))
	for f := range specFieldIndex {
		out = append(out, f)
	}
	sort.Slice(out, func(a, b int) bool { return specFieldIndex[out[a]] < specFieldIndex[out[b]] })
	return out
}()

// valid reports whether f is a sub-message of WorkloadSpec.
func (f SpecField) valid() bool {
	_, ok := specFieldIndex[f]
	return ok
}

// isSet reports whether w sets the sub-message f.
func (f SpecField) isSet(w WorkloadSpec) bool {
	i, ok := specFieldIndex[f]
	return ok && !reflect.ValueOf(w).Field(i).IsNil()
}

// WorkloadShape is what a job computes: Rows output rows of Cols float32
// values each, for MulAdds multiply-adds. MulAdds is 0 when the chain cannot
// know the work (an mlp model's hidden widths are in its weights file, off
// chain; such jobs are priced by rows). A kind that reads a dataset sets
// InputCols and InputRowsPerChunk (the dataset's columns and chunking): a
// provider serves the dataset chunks that cover each output chunk with it.
type WorkloadShape struct {
	Rows              uint64
	Cols              uint64
	MulAdds           uint64
	InputCols         uint64
	InputRowsPerChunk uint64
	// HeldValues and RowValues are what a sampled chunk's recomputation
	// holds in memory, HeldValues + chunk rows × RowValues float32 values
	// (gemm-f32: Bᵀ, K·N, and a row of A and of C, K + N; mlp-f32: the
	// widest layer's input and output; 0 where the chain does not know it:
	// gpt-f32, bounded by its multiply-adds, and mlp models without recorded
	// widths). Params.AdmitJob bounds it by MaxChunkExecBytes.
	HeldValues, RowValues uint64
}

// ExecValues is what a sampled chunk of chunkRows rows holds in memory while
// it is recomputed (saturating).
func (s WorkloadShape) ExecValues(chunkRows uint64) uint64 {
	return common.SatAdd(s.HeldValues, common.SatMul(min(max(chunkRows, 1), s.Rows), s.RowValues))
}

// KindState is what a kind may read from state to resolve a job: the other
// modules' keepers, nil when not wired.
type KindState struct {
	Models   ModelKeeper
	Datasets DatasetKeeper
}

// JobTerms is what a kind resolves for a new job: its shape, and the model
// and dataset terms (fees, share snapshots, dataset version) the job records.
// A zero ModelID or DatasetID means the job uses none.
type JobTerms struct {
	Shape     WorkloadShape
	ModelID   uint64
	Model     common.ModelTerms
	DatasetID uint64
	Dataset   common.DatasetTerms
}

// WorkloadKind is one row of the workload table.
type WorkloadKind struct {
	// Name is the kind as WorkloadSpec.kind and Hardware.workloads spell it
	// (one constant of the workload package).
	Name string
	// Spec is the sub-message the kind reads; a spec of the kind must set it
	// and no other (checked before Validate runs).
	Spec SpecField
	// Validate checks the kind's parameters without state (bounds). It
	// returns the output rows when the spec alone fixes them, 0 when they
	// come from state.
	Validate func(w WorkloadSpec) (rows uint64, err error)
	// Resolve finds a new job's shape and terms: from the spec alone, or from
	// state through st; requester is the job's requester. It runs after
	// Validate accepted w.
	Resolve func(ctx context.Context, st KindState, w WorkloadSpec, requester string) (JobTerms, error)
	// MaxRows bounds a job's output rows.
	MaxRows uint64
	// RandomSpec, when set, returns a random valid spec of at most maxChunks
	// chunks, for the simulations; a kind without it (one that needs other
	// state, such as a model) is not simulated.
	RandomSpec func(r *rand.Rand, maxChunks uint64) WorkloadSpec
}

var kinds = map[string]WorkloadKind{}

// RegisterKind adds a row to the workload table. It panics on a duplicate or
// incomplete row: rows are registered at program start (init), where a
// broken table must stop the binary.
func RegisterKind(k WorkloadKind) {
	switch {
	case k.Name == "":
		panic("workload kind without a name")
	case k.Validate == nil || k.Resolve == nil:
		panic(fmt.Sprintf("workload kind %q lacks Validate or Resolve", k.Name))
	case !k.Spec.valid():
		panic(fmt.Sprintf("workload kind %q: WorkloadSpec has no sub-message %q", k.Name, string(k.Spec)))
	case k.MaxRows == 0 || k.MaxRows > maxSize:
		panic(fmt.Sprintf("workload kind %q: max rows %d not in [1, %d]", k.Name, k.MaxRows, maxSize))
	}
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("workload kind %q registered twice", k.Name))
	}
	kinds[k.Name] = k
}

// LookupKind returns the row of a kind.
func LookupKind(name string) (WorkloadKind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Kinds returns every row, by name.
func Kinds() []WorkloadKind {
	out := make([]WorkloadKind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// kindList names the kinds for error messages: "a or b", "a, b or c".
func kindList() string {
	ks := Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkSpec checks that w sets the kind's sub-message and no other.
func (k WorkloadKind) checkSpec(w WorkloadSpec) error {
	var others []string
	ok := k.Spec.isSet(w)
	for _, f := range specFields {
		if f == k.Spec {
			continue
		}
		others = append(others, f.String())
		ok = ok && !f.isSet(w)
	}
	if ok {
		return nil
	}
	return ErrInvalidWorkload.Wrapf("%s %s workload needs %s and no %s",
		article(k.Name), k.Name, k.Spec, strings.Join(others, " or "))
}

// article is the indefinite article before a kind name, which is read letter
// by letter up to its first vowel ("an mlp-f32", "a gemm-f32"): "an" before
// a vowel or a consonant whose name starts with one (f, h, l, m, n, r, s, x).
func article(name string) string {
	if name != "" && strings.ContainsRune("aeiofhlmnrsx", rune(name[0])) {
		return "an"
	}
	return "a"
}

// ChunkCount is the chunk count of a job of the kind with rows output rows:
// ceil(rows / chunk_rows), within the kind's MaxRows.
func (k WorkloadKind) ChunkCount(rows, chunkRows uint64) (uint64, error) {
	n, err := ChunkCountFor(rows, chunkRows)
	if err != nil {
		return 0, err
	}
	if rows > k.MaxRows {
		return 0, ErrInvalidWorkload.Wrapf("%s: %d rows exceed the kind's limit %d", k.Name, rows, k.MaxRows)
	}
	return n, nil
}

// ResolveWorkload validates a spec and resolves a new job of it through its
// kind's row: the row, and the job's shape and terms. Fees the terms carry
// must be valid coins with valid shares.
func ResolveWorkload(ctx context.Context, st KindState, w WorkloadSpec, requester string) (WorkloadKind, JobTerms, error) {
	if _, err := w.Validate(); err != nil {
		return WorkloadKind{}, JobTerms{}, err
	}
	k := kinds[w.Kind]
	t, err := k.Resolve(ctx, st, w, requester)
	if err != nil {
		return WorkloadKind{}, JobTerms{}, err
	}
	if err := checkFee("model fee", t.Model.Fee, t.Model.Shares); err != nil {
		return WorkloadKind{}, JobTerms{}, err
	}
	if err := checkFee("dataset fee", t.Dataset.Fee, t.Dataset.Shares); err != nil {
		return WorkloadKind{}, JobTerms{}, err
	}
	return k, t, nil
}

// checkFee checks a fee a job escrows and the shares it will be paid to.
func checkFee(what string, fee sdk.Coins, shares []common.Share) error {
	if err := fee.Validate(); err != nil {
		return ErrInvalidWorkload.Wrapf("%s %s: %v", what, fee, err)
	}
	if fee.IsZero() {
		return nil
	}
	if err := common.ValidateShares(shares); err != nil {
		return ErrInvalidWorkload.Wrapf("%s shares: %v", what, err)
	}
	return nil
}
