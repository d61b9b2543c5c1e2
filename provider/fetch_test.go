package provider

import (
	"errors"
	"os"
	"testing"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// The fetch queue starts the earliest deadlines first, within its bound in
// all and for one requester; a freed slot goes to the next waiting job its
// requester may take.
func TestFetchQueueBoundsEachRequester(t *testing.T) {
	var q fetchQueue
	job := func(id uint64, who string, deadline int64) computetypes.Job {
		return computetypes.Job{Id: id, Requester: who, ExecDeadline: deadline}
	}
	ids := func(jobs []computetypes.Job) (out []uint64) {
		for _, j := range jobs {
			out = append(out, j.Id)
		}
		return out
	}
	var started []computetypes.Job
	for _, j := range []computetypes.Job{job(1, "x", 30), job(2, "x", 10), job(3, "x", 20), job(4, "y", 40)} {
		started = append(started, q.push(j, 4, 2, &workQueue{})...)
	}
	if got := ids(started); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Fatalf("started %v, want 1, 2 (x's two) and 4", got)
	}
	if q.len() != 1 {
		t.Fatalf("%d waiting, want x's third", q.len())
	}
	q.done(started[1])
	if got := ids(q.take(4, 2)); len(got) != 1 || got[0] != 3 {
		t.Fatalf("after a slot of x's freed: %v, want 3", got)
	}
	if got := q.take(4, 2); len(got) != 0 || q.running != 3 {
		t.Fatalf("started %v with nothing waiting, %d running", ids(got), q.running)
	}
}

// A chunk is opened for streaming only if its file holds it whole (the last
// one may be shorter).
func TestChunkSectionOfATruncatedFile(t *testing.T) {
	s := NewChunkStore(t.TempDir(), 1<<20)
	if _, err := s.Put(9, [][]byte{[]byte("aaaa"), []byte("bbbb"), []byte("cc")}); err != nil {
		t.Fatal(err)
	}
	f, sec, err := s.Section(9, 2, 3, 4)
	if err != nil || sec.Size() != 2 {
		t.Fatalf("last chunk: %v", err)
	}
	f.Close()
	if err := os.Truncate(s.path(9), 6); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Section(9, 1, 3, 4); !errors.Is(err, ErrNoChunk) {
		t.Fatalf("a chunk cut short: %v", err)
	}
	if _, _, err := s.Section(9, 2, 3, 4); !errors.Is(err, ErrNoChunk) {
		t.Fatalf("a chunk past the file's end: %v", err)
	}
}
