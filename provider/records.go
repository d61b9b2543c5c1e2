package provider

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// Phase is how far the agent has taken a job.
type Phase uint8

// A job's phases, in order. A record moves forward only, except that a
// commit or reveal the chain did not take is tried again while its window
// is open.
const (
	// PhaseBid: the price and salt are chosen (and saved before the
	// commitment is sent, so that a restart can reveal it).
	PhaseBid Phase = iota + 1
	// PhaseCommitted: the commitment is in a block.
	PhaseCommitted
	// PhaseRevealed: the reveal is in a block.
	PhaseRevealed
	// PhaseWon: the job is awarded to this provider.
	PhaseWon
	// PhaseExecuted: its chunks are on disk and its root known.
	PhaseExecuted
	// PhaseSubmitted: the result is in a block.
	PhaseSubmitted
	// PhaseEnded: the job is over on chain; its chunks are kept for the
	// retention window (EndedAt), then purged with the record.
	PhaseEnded
)

var phaseNames = map[Phase]string{PhaseBid: "bid", PhaseCommitted: "committed", PhaseRevealed: "revealed", PhaseWon: "won",
	PhaseExecuted: "executed", PhaseSubmitted: "submitted", PhaseEnded: "ended"}

func (p Phase) String() string { return phaseNames[p] }

// Record is what the agent keeps of a job it bid on, compactly, in its
// embedded store: enough to reveal, execute, submit and serve after a
// restart, and to purge the job's data once it has ended.
type Record struct {
	ID         uint64 `json:"id"`
	Requester  string `json:"rq"`
	Phase      Phase  `json:"ph"`
	Price      string `json:"pr"`
	Salt       []byte `json:"sa"`
	Collateral string `json:"co,omitempty"`
	CommitEnd  int64  `json:"ce"`
	RevealEnd  int64  `json:"re"`
	ExecBlocks uint64 `json:"eb"`
	Deadline   int64  `json:"dl,omitempty"`
	// EstSeconds is the execution time the agent estimated when it bid.
	EstSeconds float64 `json:"es,omitempty"`
	// ModelSha is the sha256 of the job's model weights, kept in the disk
	// cache while the job is live (Agent.keepModels), for the validators
	// whose fetch from the model's uri fails; empty without a model.
	ModelSha string `json:"ms,omitempty"`
	// OutputBytes is the disk its output takes in the ChunkStore, its
	// chunks and leaf hashes (outputDiskBytes), reserved from the bid until
	// the record is purged (admitDisk).
	OutputBytes uint64 `json:"ob,omitempty"`
	// DatasetBytes is its dataset file's expected size on disk, which the
	// disk cache must have room for from its award until its load
	// (admitDatasetRoom); 0 without a dataset.
	DatasetBytes uint64 `json:"db,omitempty"`
	// PendingTx is the hash of the tx that moves the record to its next
	// phase (commit, reveal or result), sent at height SentAt.
	PendingTx string `json:"tx,omitempty"`
	SentAt    int64  `json:"sh,omitempty"`
	// OutputRoot, ChunkCount and ChunkBytes (of a full chunk) describe the
	// executed result on disk.
	OutputRoot []byte `json:"or,omitempty"`
	ChunkCount uint64 `json:"cc,omitempty"`
	ChunkBytes uint64 `json:"cb,omitempty"`
	// Kind, DatasetID, DatasetVersion and ChunkRows are what serving its
	// chunks needs (jobexec.Served); DatasetID and DatasetVersion are set
	// from the bid (admitDatasetRoom), the others at execution.
	Kind           string `json:"k,omitempty"`
	DatasetID      uint64 `json:"di,omitempty"`
	DatasetVersion uint64 `json:"dv,omitempty"`
	ChunkRows      uint64 `json:"cr,omitempty"`
	// EndedAt is when the job was seen over on chain (Unix seconds).
	EndedAt int64  `json:"ea,omitempty"`
	Error   string `json:"er,omitempty"`
	// InputFailures counts failed fetches of a won job's inputs, and
	// ExecFailures its other failed attempts (execFailed); RetryAt is the
	// height of the next attempt; Abort marks the job for MsgAbortJob
	// (abort.go).
	InputFailures int   `json:"if,omitempty"`
	ExecFailures  int   `json:"xf,omitempty"`
	RetryAt       int64 `json:"ra,omitempty"`
	Abort         bool  `json:"ab,omitempty"`
}

func (r *Record) served() jobexec.Served {
	s := jobexec.Served{Kind: r.Kind, DatasetID: r.DatasetID, DatasetVersion: r.DatasetVersion, ChunkRows: r.ChunkRows}
	if s.Kind == "" {
		s.Kind = workload.KindGemm
	}
	return s
}

// Store keeps the records in a bbolt file (one key per job, JSON), written
// in batches: one transaction per pipeline step, whatever its size.
type Store struct {
	db *bolt.DB
}

var bucketJobs = []byte("jobs")

// ErrLocked is a store another agent process holds open.
var ErrLocked = errors.New("the state store is in use by another process")

// OpenStore opens (or creates) the store at path.
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucketJobs); return err }); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func key(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// Load returns every record.
func (s *Store) Load() (map[uint64]*Record, error) {
	out := map[uint64]*Record{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			r := &Record{}
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			out[r.ID] = r
			return nil
		})
	})
	return out, err
}

// Save writes records and deletes ids, in one transaction.
func (s *Store) Save(recs []*Record, deleted []uint64) error {
	if len(recs) == 0 && len(deleted) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		for _, r := range recs {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put(key(r.ID), v); err != nil {
				return err
			}
		}
		for _, id := range deleted {
			if err := b.Delete(key(id)); err != nil {
				return err
			}
		}
		return nil
	})
}
