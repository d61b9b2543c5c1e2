package dataserver

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// leavesOf returns the path of the fixture file's leaves file (dataset 1
// version 1) and the file as indexed.
func (fx *fixture) leavesOf(t *testing.T) (string, indexed, types.DatasetVersion) {
	t.Helper()
	e, ok := fx.srv.index.lookup(fx.file.Sha256)
	if !ok {
		t.Fatal("the fixture's file is not indexed")
	}
	dv := fx.chain.versions[[2]uint64{1, 1}]
	return leavesPath(fx.srv.cfg.TreeDir, e, dv), e, dv
}

// forget drops every tree from memory, as evictions or a restart do.
func (fx *fixture) forget() { fx.srv.trees = newLRU[treeKey, *fileTree](fx.srv.cfg.MaxTrees) }

// wantChunks fails unless the licensee is served every chunk of the
// fixture's file, each proved against its content root (Client.Chunk).
func (fx *fixture) wantChunks(t *testing.T, what string) {
	t.Helper()
	c := fx.licensee.client(fx.url)
	for i := range fx.file.ChunkCount() {
		got, err := fx.chunk(c, i)
		if err != nil {
			t.Fatalf("%s: chunk %d: %v", what, i, err)
		}
		if !bytes.Equal(got.Data, fx.file.Chunks[i]) {
			t.Fatalf("%s: chunk %d has other rows", what, i)
		}
	}
}

// A tree read back from its leaves, once evicted or in a new server over
// the same folder, serves every chunk with a proof that verifies, and its
// file is not read: moved away, the probe of a validator is still answered
// from the leaves.
func TestTreeLeavesServeAfterEvictionAndRestart(t *testing.T) {
	fx := newFixture(t, true)
	fx.wantChunks(t, "built from the file")
	path, e, dv := fx.leavesOf(t)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no leaves file once the tree was built: %v", err)
	}
	fx.forget()
	fx.wantChunks(t, "read back from the leaves")

	srv, err := New(fx.srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.path, e.path+".away"); err != nil {
		t.Fatal(err)
	}
	tree, err := srv.tree(t.Context(), e, dv, 0)
	if err != nil {
		t.Fatalf("a restarted server's tree, its file moved away: %v; want it read from the leaves", err)
	}
	if root := tree.tree.Root(); !bytes.Equal(root[:], fx.file.Root()) || tree.rowsSha != fx.file.RowsSha256 {
		t.Fatalf("tree read back: root %x rows %s, want %x %s", root, tree.rowsSha, fx.file.Root(), fx.file.RowsSha256)
	}
}

// A leaves file that does not hold what it says (a flipped byte, a cut
// file) is not used: the tree is built from the file again, and its leaves
// written anew.
func TestDamagedLeavesAreRebuiltFromTheFile(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"flipped leaf":   func(b []byte) []byte { b[leavesHead] ^= 1; return b },
		"flipped header": func(b []byte) []byte { b[len(leavesMagic)+40] ^= 1; return b },
		"cut":            func(b []byte) []byte { return b[:len(b)-1] },
	} {
		fx := newFixture(t, true)
		fx.wantChunks(t, name+": built")
		path, e, dv := fx.leavesOf(t)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, damage(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadLeaves(path, e, dv); !errors.Is(err, errBadLeaves) {
			t.Fatalf("%s: loading the damaged leaves: %v, want errBadLeaves", name, err)
		}
		fx.forget()
		fx.wantChunks(t, name+": rebuilt")
		if _, err := loadLeaves(path, e, dv); err != nil {
			t.Fatalf("%s: leaves once rebuilt: %v", name, err)
		}
	}
}

// The leaves of a file that left the folder are removed at the next
// re-index; the other files of the tree folder are left alone.
func TestLeavesOfUnindexedFilesArePruned(t *testing.T) {
	fx := newFixture(t, true)
	fx.wantChunks(t, "built")
	path, e, _ := fx.leavesOf(t)
	other := filepath.Join(fx.srv.cfg.TreeDir, "notes.txt")
	half := filepath.Join(fx.srv.cfg.TreeDir, "ab-1x1-1"+leavesExt+".tmp")
	for _, p := range []string{other, half} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the leaves of an indexed file after a re-index: %v", err)
	}
	if err := os.Remove(e.path); err != nil {
		t.Fatal(err)
	}
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, half} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after its file left the folder: %v, want removed", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file of the tree folder that is no leaves file: %v, want left alone", err)
	}
}

// At most leafShapes leaves files are kept for one file, whatever shapes
// its versions declare.
func TestLeafShapesOfAFileAreBounded(t *testing.T) {
	fx := newFixture(t, true)
	_, e, dv := fx.leavesOf(t)
	for rpc := uint64(1); rpc <= leafShapes+1; rpc++ {
		dv.RowsPerChunk = rpc
		tree, err := buildTree(e, dv)
		if err != nil {
			t.Fatal(err)
		}
		err = saveLeaves(fx.srv.cfg.TreeDir, e, dv, tree)
		if rpc <= leafShapes && err != nil {
			t.Fatalf("leaves of shape %d: %v", rpc, err)
		}
		if rpc > leafShapes && !errors.Is(err, errLeafShapes) {
			t.Fatalf("leaves of shape %d, past %d: %v, want errLeafShapes", rpc, leafShapes, err)
		}
	}
	if tree, err := fx.srv.loadOrBuild(e, dv); err != nil || tree.rowsPerChunk != dv.RowsPerChunk {
		t.Fatalf("a tree past the shapes kept on disk: %v; want it built and kept in memory", err)
	}
	dv.RowsPerChunk = 1
	tree, err := buildTree(e, dv)
	if err != nil {
		t.Fatal(err)
	}
	if err := saveLeaves(fx.srv.cfg.TreeDir, e, dv, tree); err != nil {
		t.Fatalf("leaves of a shape kept, written again at the bound: %v", err)
	}
}

// A tree folder that cannot be made is a configuration error.
func TestTreeDirThatCannotBeMadeIsRefused(t *testing.T) {
	fx := newFixture(t, true)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fx.srv.cfg
	cfg.TreeDir = filepath.Join(file, "trees")
	if _, err := New(cfg); !errors.Is(err, ErrConfig) {
		t.Fatalf("a tree folder under a file: %v, want ErrConfig", err)
	}
	if _, err := New(Config{Chain: fx.chain, Audiences: fx.srv.cfg.Audiences, Datasets: map[uint64]string{1: "x"}}); err != nil {
		t.Fatalf("no tree folder (trees in memory only): %v", err)
	}
}
