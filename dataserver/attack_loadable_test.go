package dataserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/workload"
)

// TestAttackVersionNoWinnerCanLoadIsNotServed: a dataset owner (with or as
// a job's requester) lists a version whose file has more before its rows
// than a job's winner reads (workload.MaxNPYPrefixBytes: a .npy header
// padded to 2 MiB), every on-chain field true. The winner's download is cut
// at rows·cols·4 + that bound and it cannot load the file; held by the
// server, the version answered the validators' probe, so they ruled the
// inputs available and the winner's abort a timeout: its collateral went to
// the requester and the owner kept the dataset fee. The server now holds a
// version only in a file a winner can load (dataset.CheckLength): the
// probe and every download answer 404 not_found.
func TestAttackVersionNoWinnerCanLoadIsNotServed(t *testing.T) {
	fx := newFixture(t, true)
	ctx := context.Background()
	honest, err := os.ReadFile(filepath.Join(fx.dir, "data-1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	body := honest[len(honest)-int(fx.file.Rows*fx.file.Cols*4):]
	for _, c := range []struct {
		id     uint64
		prefix int
		held   bool
	}{{5, workload.MaxNPYPrefixBytes, true}, {6, workload.MaxNPYPrefixBytes + 1, false}} {
		file := append(bytes.Repeat([]byte{' '}, c.prefix), body...)
		if err := os.WriteFile(filepath.Join(fx.dir, fmt.Sprintf("padded-%d.npy", c.id)), file, 0o644); err != nil {
			t.Fatal(err)
		}
		rec := *fx.file
		rec.Sha256 = workload.SHA256Hex(file)
		fx.chain.list(c.id, 1, fx.owner.addr(), &rec)
		fx.chain.grant(c.id, fx.licensee.addr(), 1, true)
		if err := fx.srv.Load(ctx); err != nil {
			t.Fatal(err)
		}
		probe := fx.stranger.client(fx.url).Holds(ctx, c.id, 1)
		_, dl := fx.licensee.client(fx.url).Download(ctx, c.id, 1, Expect{Sha256: rec.Sha256, Rows: rec.Rows, Cols: rec.Cols})
		if c.held {
			if probe != nil || dl != nil {
				t.Fatalf("%d bytes before the rows (the bound): probe %v, download %v; want both served", c.prefix, probe, dl)
			}
			continue
		}
		if !errors.Is(probe, ErrNotServed) {
			t.Fatalf("%d bytes before the rows: the validators' probe got %v, want ErrNotServed (a version no winner can load)", c.prefix, probe)
		}
		wantHTTPError(t, dl, 404, "not_found")
	}
}
