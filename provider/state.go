package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// JobRecord is what the agent remembers about one job, on disk, so that a
// restart neither loses a sealed bid's salt nor an awarded job.
type JobRecord struct {
	JobID      uint64 `json:"job_id"`
	Price      string `json:"price"` // the bid, as a Coin string
	Salt       []byte `json:"salt"`
	Committed  bool   `json:"committed"`
	Revealed   bool   `json:"revealed"`
	Executed   bool   `json:"executed"`
	OutputRoot []byte `json:"output_root,omitempty"`
	ChunkCount uint64 `json:"chunk_count,omitempty"`
	// Kind, DatasetID, DatasetVersion and ChunkRows are what the chunk server
	// needs to serve the job's chunks (jobexec.Served): DatasetID and
	// ChunkRows (mlp-f32 jobs) let it attach each output chunk's input rows.
	Kind           string `json:"kind,omitempty"`
	DatasetID      uint64 `json:"dataset_id,omitempty"`
	DatasetVersion uint64 `json:"dataset_version,omitempty"`
	ChunkRows      uint64 `json:"chunk_rows,omitempty"`
	Submitted      bool   `json:"submitted"`
	// Done: the job ended (or was lost) and needs no more work.
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
}

// served is what the chunk server needs of the job. Records written before
// the kind was recorded name none: mlp-f32 jobs recorded their dataset,
// gemm-f32 jobs none.
func (r JobRecord) served() jobexec.Served {
	s := jobexec.Served{Kind: r.Kind, DatasetID: r.DatasetID, DatasetVersion: r.DatasetVersion, ChunkRows: r.ChunkRows}
	if s.Kind == "" {
		s.Kind = workload.KindGemm
		if r.DatasetID != 0 {
			s.Kind = workload.KindMLP
		}
	}
	return s
}

// State is the agent's persistent memory: one JSON file, rewritten
// atomically (temp file + rename) after every change.
type State struct {
	mu   sync.Mutex
	path string
	Jobs map[uint64]*JobRecord `json:"jobs"`
}

// LoadState reads the state file, or starts empty if there is none.
func LoadState(path string) (*State, error) {
	s := &State{path: path, Jobs: map[uint64]*JobRecord{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if s.Jobs == nil {
		s.Jobs = map[uint64]*JobRecord{}
	}
	return s, nil
}

// Get returns a copy of a job's record and whether it exists.
func (s *State) Get(id uint64) (JobRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.Jobs[id]
	if !ok {
		return JobRecord{}, false
	}
	return *r, true
}

// Update changes (or creates) a job's record and saves the state.
func (s *State) Update(id uint64, f func(r *JobRecord)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.Jobs[id]
	if !ok {
		r = &JobRecord{JobID: id}
		s.Jobs[id] = r
	}
	f(r)
	return s.saveLocked()
}

// Pending returns the records of jobs that are not done.
func (s *State) Pending() []JobRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JobRecord
	for _, r := range s.Jobs {
		if !r.Done {
			out = append(out, *r)
		}
	}
	return out
}

func (s *State) saveLocked() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}
