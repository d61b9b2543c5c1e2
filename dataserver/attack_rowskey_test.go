package dataserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/types"
)

// listHeld lists f (a file of fx's folder) as dataset id's version 1, owned
// by fx.owner and licensed to fx.licensee, its record edited by edit (nil:
// true). The server reads it on its next Load.
func (fx *fixture) listHeld(id uint64, f *dataset.Description, edit func(*types.DatasetVersion)) {
	fx.chain.list(id, 1, fx.owner.addr(), f)
	if edit != nil {
		fx.chain.setVersion(id, 1, edit)
	}
	fx.chain.grant(id, fx.licensee.addr(), 1, true)
}

// validatorKey bonds a new account as a validator's operator: the server
// marks it on its next Load, and checks the file of a version it probes.
func (fx *fixture) validatorKey() account {
	v := newAccount()
	fx.chain.bond(v.addr())
	return v
}

// answers returns what a validator's probe (Client.Holds) and the
// licensee's request of chunk 0 of dataset id version 1 (checked against
// f's true content root) get.
func (fx *fixture) answers(t *testing.T, validator account, id uint64, f *dataset.Description) (probe, chunk error) {
	t.Helper()
	probe = validator.client(fx.url).Holds(t.Context(), id, 1)
	_, chunk = fx.licensee.client(fx.url).Chunk(t.Context(), id, 1, 0, f.Root(), f.ChunkCount(), f.RowsPerChunk, f.Cols)
	return probe, chunk
}

// wantServed fails unless the probe was answered 204 and the chunk served.
func wantServed(t *testing.T, what string, probe, chunk error) {
	t.Helper()
	if probe != nil || chunk != nil {
		t.Fatalf("%s: probe %v, chunk %v; want both served", what, probe, chunk)
	}
}

// wantNotServed fails unless the probe and the chunk request were both
// answered 404 (not_found for the chunk).
func wantNotServed(t *testing.T, what string, probe, chunk error) {
	t.Helper()
	var he *HTTPError
	if !errors.Is(probe, ErrNotServed) || !errors.As(probe, &he) || he.Status != http.StatusNotFound {
		t.Fatalf("%s: the validators' probe got %v, want ErrNotServed (404)", what, probe)
	}
	wantHTTPError(t, chunk, http.StatusNotFound, "not_found")
}

// falseRecordServedOnlyTrue lists, for each order, a new file of fx's folder
// as a true version and as one whose record falsify edits (everything else
// true), and checks that the false one is answered 404 to the probe and to
// a chunk request and the true one is served, whichever asks first: the
// false record has the file's tree built for it, or finds it cached by the
// true one (the cache key is the file and rows_per_chunk alone).
func falseRecordServedOnlyTrue(t *testing.T, falsify func(*types.DatasetVersion, *dataset.Description)) {
	fx := newFixture(t, true)
	validator := fx.validatorKey()
	for i, falseFirst := range []bool{true, false} {
		_, f := testNPY(t, fx.dir, 12, 3, float32(20+i))
		trueID, falseID := uint64(10+2*i), uint64(11+2*i)
		fx.listHeld(trueID, f, nil)
		fx.listHeld(falseID, f, func(dv *types.DatasetVersion) { falsify(dv, f) })
		if err := fx.srv.Load(t.Context()); err != nil {
			t.Fatal(err)
		}
		ids := []uint64{trueID, falseID}
		if falseFirst {
			ids = []uint64{falseID, trueID}
		}
		for _, id := range append(ids, ids...) { // asked again: cached
			probe, chunk := fx.answers(t, validator, id, f)
			what := fmt.Sprintf("false record first %v, dataset %d", falseFirst, id)
			if id == trueID {
				wantServed(t, what+" (true record)", probe, chunk)
			} else {
				wantNotServed(t, what+" (false record)", probe, chunk)
			}
		}
	}
}

// TestAttackFalseRowsKeyAnswersTheProbe: a lister declares a rows_sha256
// (which the chain cannot check) that is not the sha256 of its file's rows,
// every other field true. Every job winner's CheckDataset refuses the file,
// and aborts; the server answered the validators' probe 204 (it checked the
// file's sha256 and length alone), so the winner's abort was judged false
// and it paid the timeout penalty. The server now refuses such a version
// (404 to the probe and to every chunk request) and serves the same file
// under a true record.
func TestAttackFalseRowsKeyAnswersTheProbe(t *testing.T) {
	falseRecordServedOnlyTrue(t, func(dv *types.DatasetVersion, f *dataset.Description) {
		dv.RowsSha256 = workload.SHA256Hex(f.Data) // the whole file's, not its rows'
	})
}

// TestAttackFalseContentRootAnswersTheProbe: the same with a false
// content_root, which a chunk request was refused but a probe answered 204.
func TestAttackFalseContentRootAnswersTheProbe(t *testing.T) {
	falseRecordServedOnlyTrue(t, func(dv *types.DatasetVersion, f *dataset.Description) {
		dv.ContentRoot = bytes.Clone(f.Root())
		dv.ContentRoot[0] ^= 1
	})
}

// TestRowsKeyIsCheckedCaseAside: a version's rows_sha256 in upper case is
// the file's all the same.
func TestRowsKeyIsCheckedCaseAside(t *testing.T) {
	fx := newFixture(t, true)
	validator := fx.validatorKey()
	_, f := testNPY(t, fx.dir, 12, 3, 30)
	fx.listHeld(10, f, func(dv *types.DatasetVersion) { dv.RowsSha256 = strings.ToUpper(dv.RowsSha256) })
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	probe, chunk := fx.answers(t, validator, 10, f)
	wantServed(t, "rows key in upper case", probe, chunk)
}

// TestLegacyVersionWithoutRowsKeyIsServed: a version listed before the rows
// key declares none (""): nothing is checked of its rows, and it is probed
// 204, its chunks and its file served.
func TestLegacyVersionWithoutRowsKeyIsServed(t *testing.T) {
	fx := newFixture(t, true)
	validator := fx.validatorKey()
	_, f := testNPY(t, fx.dir, 12, 3, 31)
	fx.listHeld(10, f, func(dv *types.DatasetVersion) { dv.RowsSha256 = "" })
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	probe, chunk := fx.answers(t, validator, 10, f)
	wantServed(t, "legacy version", probe, chunk)
	got, err := fx.licensee.client(fx.url).Download(t.Context(), 10, 1, Expect{Sha256: f.Sha256, Rows: f.Rows, Cols: f.Cols})
	if err != nil || !bytes.Equal(got, f.Data) {
		t.Fatalf("download of a legacy version: %v (%d bytes of %d)", err, len(got), len(f.Data))
	}
}

// TestAttackFalseVersionProbesReadItsFileOnce: a probe needs no access and
// may be replayed at will; a version whose record its file does not make is
// refused from the tree cached as built, not by reading the file again:
// once its file is gone, a replayed probe is still answered 404 (not 500, a
// failed read).
func TestAttackFalseVersionProbesReadItsFileOnce(t *testing.T) {
	fx := newFixture(t, true)
	validator := fx.validatorKey()
	path, f := testNPY(t, fx.dir, 12, 3, 32)
	fx.listHeld(10, f, func(dv *types.DatasetVersion) { dv.RowsSha256 = f.Sha256 })
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	probe := fx.probe(t, validator, fx.url, "/v1/datasets/10/chunks/0?version=1")
	replay := probe.Clone(t.Context())
	if status, _ := get(t, probe); status != http.StatusNotFound {
		t.Fatalf("probe of a false version: %d, want 404", status)
	}
	if err := os.Rename(path, path+".gone"); err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, replay); status != http.StatusNotFound {
		t.Fatalf("replayed probe of a false version, its file gone: %d, want 404 from the cached tree", status)
	}
}

// TestAttackStrangersProbesReadNoFile: a probe needs no access, and fresh
// keys cost nothing; had every probe built its file's tree, strangers
// probing the versions of more files than the tree cache holds would have
// the server read a whole file a probe. A stranger's probe is answered on
// the file's sha256 and length alone, as before the tree check, and builds
// no tree; a validator's builds it once.
func TestAttackStrangersProbesReadNoFile(t *testing.T) {
	fx := newFixture(t, true)
	validator := fx.validatorKey()
	_, f := testNPY(t, fx.dir, 12, 3, 33)
	fx.listHeld(10, f, nil)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	key := treeKey{sha: f.Sha256, rowsPerChunk: f.RowsPerChunk}
	for range 3 {
		if err := fx.stranger.client(fx.url).Holds(t.Context(), 10, 1); err != nil {
			t.Fatalf("a stranger's probe of a held version: %v", err)
		}
	}
	if _, built := fx.srv.trees.get(key, zeroTime); built {
		t.Fatal("a stranger's probe built the file's tree (read the whole file)")
	}
	if err := validator.client(fx.url).Holds(t.Context(), 10, 1); err != nil {
		t.Fatalf("a validator's probe of a held version: %v", err)
	}
	if _, built := fx.srv.trees.get(key, zeroTime); !built {
		t.Fatal("a validator's probe did not check the file's tree")
	}
}
