package dataset

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
)

func matrix(rows, cols int) *workload.Matrix {
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = workload.UnitFloat(workload.SplitMixAt(5, uint64(i))) * 3
	}
	return m
}

// TestDescribeMatchesChunks: the chunks Describe takes from the file's body
// are the bytes Chunks encodes from the parsed rows, for both .npy versions
// and every chunking, so the content_root is the same either way.
func TestDescribeMatchesChunks(t *testing.T) {
	for _, shape := range [][2]int{{1, 1}, {10, 3}, {37, 12}, {64, 4}} {
		m := matrix(shape[0], shape[1])
		for _, version := range []int{1, 2} {
			data, err := workload.EncodeNPYVersion(m, version)
			if err != nil {
				t.Fatal(err)
			}
			for rpc := 1; rpc <= m.Rows; rpc += max(1, m.Rows/5) {
				d, err := Describe(data, uint64(rpc))
				if err != nil {
					t.Fatalf("%v v%d rpc %d: %v", shape, version, rpc, err)
				}
				want, err := Chunks(m, rpc)
				if err != nil {
					t.Fatal(err)
				}
				if len(d.Chunks) != len(want) || d.ChunkCount() != uint64(len(want)) {
					t.Fatalf("%v rpc %d: %d chunks, want %d", shape, rpc, len(d.Chunks), len(want))
				}
				for i := range want {
					if !bytes.Equal(d.Chunks[i], want[i]) {
						t.Fatalf("%v v%d rpc %d: chunk %d differs", shape, version, rpc, i)
					}
				}
				root, n, err := Root(m, rpc)
				if err != nil || n != len(want) || !bytes.Equal(d.Root(), root[:]) {
					t.Fatalf("%v rpc %d: root %x, Root %x (%d, %v)", shape, rpc, d.Root(), root, n, err)
				}
				if d.Sha256 != workload.SHA256Hex(data) || d.Rows != uint64(m.Rows) || d.Cols != uint64(m.Cols) ||
					d.RowsPerChunk != uint64(rpc) || !bytes.Equal(d.Data, data) || d.Matrix.Rows != m.Rows {
					t.Fatalf("%v rpc %d: description %+v", shape, rpc, d)
				}
				if err := d.Check(d.Sha256, d.Rows, d.Cols, d.RowsPerChunk, root[:]); err != nil {
					t.Fatalf("%v rpc %d: own description refused: %v", shape, rpc, err)
				}
			}
		}
	}
}

func TestDescribeRefuses(t *testing.T) {
	data, err := workload.EncodeNPY(matrix(10, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, rpc := range []uint64{0, 11} {
		if _, err := Describe(data, rpc); err == nil || !strings.Contains(err.Error(), "rows_per_chunk must be in 1..10") {
			t.Errorf("rows_per_chunk %d: %v", rpc, err)
		}
	}
	if _, err := Describe(data[:len(data)-1], 4); !errors.Is(err, workload.ErrMalformed) {
		t.Errorf("truncated file: %v", err)
	}
	if _, err := DescribeWith(data, 4, Options{Limits: workload.Limits{MaxFileBytes: 16}}); !errors.Is(err, workload.ErrTooLarge) {
		t.Errorf("file above the limit: %v", err)
	}
	built := 0
	d, err := DescribeWith(data, 4, Options{Tree: func(c [][]byte) (*merkle.Tree, error) { built++; return merkle.New(c) }})
	if err != nil || built != 1 || d.ChunkCount() != 3 {
		t.Fatalf("Options.Tree: %v, built %d", err, built)
	}
}

func TestCheckRefusesMismatches(t *testing.T) {
	data, err := workload.EncodeNPY(matrix(10, 3))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Describe(data, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(strings.ToUpper(d.Sha256), 10, 3, 4, d.Root()); err != nil {
		t.Fatalf("upper-case sha256: %v", err)
	}
	otherRoot := append([]byte(nil), d.Root()...)
	otherRoot[3] ^= 1
	for name, err := range map[string]error{
		"sha":  d.Check(strings.Repeat("0", 64), 10, 3, 4, d.Root()),
		"rows": d.Check(d.Sha256, 11, 3, 4, d.Root()),
		"cols": d.Check(d.Sha256, 10, 2, 4, d.Root()),
		"rpc":  d.Check(d.Sha256, 10, 3, 5, d.Root()),
		"root": d.Check(d.Sha256, 10, 3, 4, otherRoot),
		"none": d.Check(d.Sha256, 10, 3, 4, nil),
	} {
		if err == nil {
			t.Errorf("%s mismatch accepted", name)
		}
	}
}

// TestDescribeRecordIgnoresTheHeader: DescribeRecord reads the rows a
// record lays out whatever the header says (big-endian, Fortran order,
// another shape or dtype, no header at all), so its rows and root are those
// of the honest file's Describe, and it refuses a file with more than
// workload.MaxNPYPrefixBytes before its rows or too short for them.
func TestDescribeRecordIgnoresTheHeader(t *testing.T) {
	m := matrix(10, 3)
	honest, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Describe(honest, 4)
	if err != nil {
		t.Fatal(err)
	}
	body := workload.EncodeFloats(m.Data)
	l := Layout{Format: FormatNPYF32, Rows: 10, Cols: 3, RowsPerChunk: 4}
	for _, prefix := range []string{
		"\x93NUMPY\x01\x00\x46\x00{'descr': '>f4', 'fortran_order': True, 'shape': (3, 10), }      \n",
		"\x93NUMPY\x01\x00\x46\x00{'descr': '<i4', 'fortran_order': False, 'shape': (30, 1), }     \n",
		"",
		"not a header at all",
	} {
		d, err := DescribeRecord(append([]byte(prefix), body...), l, Options{})
		if err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
		if !bytes.Equal(d.Root(), want.Root()) || d.Matrix == nil || len(d.Matrix.Data) != 30 || d.Format != FormatNPYF32 {
			t.Fatalf("prefix %q: rows or root differ from the honest file's", prefix)
		}
	}
	tok, err := DescribeRecord(honest, Layout{Format: FormatNPYI32, Rows: 10, Cols: 3, RowsPerChunk: 4}, Options{})
	if err != nil || tok.Tokens == nil || tok.Matrix != nil || !bytes.Equal(tok.Root(), want.Root()) {
		t.Fatalf("the '<f4' file read as npy-i32: %v", err)
	}
	if _, err := DescribeRecord(append(make([]byte, workload.MaxNPYPrefixBytes+1), body...), l, Options{}); !errors.Is(err, workload.ErrTooLarge) {
		t.Fatalf("a prefix over MaxNPYPrefixBytes: %v, want ErrTooLarge", err)
	}
	if _, err := DescribeRecord(body[4:], l, Options{}); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("a file shorter than its rows: %v, want ErrShape", err)
	}
	if _, err := DescribeRecord(honest, Layout{Format: "csv", Rows: 10, Cols: 3, RowsPerChunk: 4}, Options{}); !errors.Is(err, workload.ErrUnsupported) {
		t.Fatalf("an unknown format: %v, want ErrUnsupported", err)
	}
}

// TestDescribeCheckedRecord: a file that workload.CheckFile checked is
// described as DescribeRecord describes it, with the sha256 it was checked
// against; the checks of its layout still apply.
func TestDescribeCheckedRecord(t *testing.T) {
	npy, err := workload.EncodeNPY(matrix(10, 3))
	if err != nil {
		t.Fatal(err)
	}
	l := Layout{Format: FormatNPYF32, Rows: 10, Cols: 3, RowsPerChunk: 4}
	want, err := DescribeRecord(npy, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := workload.CheckFile(npy, strings.ToUpper(workload.SHA256Hex(npy)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DescribeCheckedRecord(f, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Sha256 != want.Sha256 || !bytes.Equal(got.Root(), want.Root()) || len(got.Matrix.Data) != 30 {
		t.Fatalf("checked: sha256 %s root %x, want %s %x", got.Sha256, got.Root(), want.Sha256, want.Root())
	}
	if err := got.Check(want.Sha256, 10, 3, 4, want.Root()); err != nil {
		t.Fatal(err)
	}
	l.Rows = 100
	if _, err := DescribeCheckedRecord(f, l, Options{}); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("a checked file too short for its layout: %v, want ErrShape", err)
	}
}

// BenchmarkDescribeRecord: a 16 MiB dataset file described as downloaded
// (hashed here) and as read from a provider's disk cache (checked there
// already: DescribeCheckedRecord), side by side.
func BenchmarkDescribeRecord(b *testing.B) {
	const rows, cols = 1 << 16, 64
	npy, err := workload.EncodeNPY(matrix(rows, cols))
	if err != nil {
		b.Fatal(err)
	}
	l := Layout{Format: FormatNPYF32, Rows: rows, Cols: cols, RowsPerChunk: 1024}
	f, err := workload.CheckFile(npy, workload.SHA256Hex(npy))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("hashed", func(b *testing.B) {
		b.SetBytes(int64(len(npy)))
		for b.Loop() {
			if _, err := DescribeRecord(npy, l, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checked", func(b *testing.B) {
		b.SetBytes(int64(len(npy)))
		for b.Loop() {
			if _, err := DescribeCheckedRecord(f, l, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRowsSha256IgnoresHeaderAndChunking: the rows key is the sha256 of the
// rows alone: the same under any .npy header version and any
// rows_per_chunk (where the sha256 and the content root change), another
// when one value changes. CheckRows accepts it in any case, and an empty
// key (a version listed before the rows key), and refuses another.
func TestRowsSha256IgnoresHeaderAndChunking(t *testing.T) {
	m := matrix(10, 3)
	want := workload.SHA256Hex(workload.EncodeFloats(m.Data))
	seen := map[string]bool{}
	for _, major := range []int{1, 2} {
		file, err := workload.EncodeNPYVersion(m, major)
		if err != nil {
			t.Fatal(err)
		}
		for _, rpc := range []uint64{4, 7} {
			d, err := Describe(file, rpc)
			if err != nil {
				t.Fatal(err)
			}
			if d.RowsSha256 != want {
				t.Fatalf("header v%d, %d rows a chunk: rows sha256 %s, want %s", major, rpc, d.RowsSha256, want)
			}
			seen[d.Sha256+string(d.Root())] = true
			for _, ok := range []string{want, strings.ToUpper(want), ""} {
				if err := d.CheckRows(ok); err != nil {
					t.Fatalf("CheckRows(%q): %v", ok, err)
				}
			}
			if err := d.CheckRows(d.Sha256); err == nil {
				t.Fatal("CheckRows accepted the whole file's sha256 as the rows'")
			}
		}
	}
	if len(seen) != 4 {
		t.Fatalf("%d distinct (sha256, root) pairs over 2 headers and 2 chunkings, want 4", len(seen))
	}
	m.Data[29]++
	file, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Describe(file, 4); err != nil || d.RowsSha256 == want {
		t.Fatalf("one value changed: rows sha256 %v (%v), want another than %s", d, err, want)
	}
}
