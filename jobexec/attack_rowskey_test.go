package jobexec

import (
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackFalseRowsKeyRefusedByTheWinner: the chain cannot compute a
// listing's rows_sha256, so a lister may declare a false one (a copier of
// another owner's rows declaring a key nobody holds). A job's winner checks
// the file it downloads against the whole record, the rows key among them,
// and refuses such a file as it refuses a false sha256 or content root:
// it aborts, the dataset's server answers the validators' probe 404 (the
// dataserver's TestAttackFalseRowsKeyAnswersTheProbe), and the lister is
// paid nothing. A version listed before the rows key (none declared) is
// read as before.
func TestAttackFalseRowsKeyRefusedByTheWinner(t *testing.T) {
	m := &workload.Matrix{Rows: 6, Cols: 2, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Describe(npy, 2)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(rows string) datamarkettypes.Dataset {
		return datamarkettypes.Dataset{Id: 3, Rows: 6, Cols: 2, RowsPerChunk: 2, ContentRoot: d.Root(), Sha256: d.Sha256, RowsSha256: rows}
	}
	for name, rows := range map[string]string{"true": d.RowsSha256, "legacy (none)": ""} {
		if _, err := CheckDataset(rec(rows), npy, workload.Limits{}); err != nil {
			t.Fatalf("%s rows key: %v", name, err)
		}
	}
	if _, err := CheckDataset(rec(d.Sha256), npy, workload.Limits{}); err == nil {
		t.Fatal("the winner accepted a file whose rows are not the declared rows key")
	}
}
