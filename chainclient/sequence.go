package chainclient

import (
	"context"
	"errors"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// The account sequence. A node checks a tx's sequence against its check
// state: the last block's state and the account's txs already in its
// mempool. The client reads the account from the last block (AccountInfo),
// so a client started while txs of the same key wait in the mempool (an
// agent restarted quicker than a block) reads a sequence behind the one
// the node expects, and the node refuses every tx it signs: in CheckTx with
// the SDK's ErrWrongSequence (codespace sdk, code 32), and in a simulation
// with a gRPC error that carries no code at all (x/auth/tx's Simulate wraps
// every failure in codes.Unknown and a text). So a refused simulation is not
// taken for a refusal of its messages while the sequence is not known to be
// the one the node expects (seqSure: false after every read of the
// account): the client simulates the same messages at the sequences from
// the last block's up (probe), and the one the node takes is the one it
// expects — the node answers for the sequence by what it accepts, never by
// the words of an error. A tx accepted by CheckTx, or a simulation that
// passes, makes the sequence sure.

// maxSequenceProbes bounds the sequences probe tries: the txs of this
// account that a restart can find in the mempool. A larger backlog is found
// once enough of it is in blocks (probe starts at the last block's
// sequence).
const maxSequenceProbes = 16

// SequenceError is a tx refused for its account sequence (ErrWrongSequence).
type SequenceError struct {
	// Used is the sequence the tx was signed or simulated with.
	Used uint64
	// Expected is the sequence the node expects (the same messages simulate
	// at it), when Found.
	Expected uint64
	Found    bool
	// Log is CheckTx's log, when CheckTx refused the tx.
	Log string
	// base is the client's sequence when Expected was found: Resync takes
	// Expected only if nothing was sent since.
	base uint64
}

func (e *SequenceError) Error() string {
	msg := fmt.Sprintf("%v: signed with %d", ErrWrongSequence, e.Used)
	if e.Found {
		msg += fmt.Sprintf(", the node expects %d", e.Expected)
	}
	if e.Log != "" {
		msg += ": " + e.Log
	}
	return msg
}

// Is makes errors.Is(err, ErrWrongSequence) hold.
func (e *SequenceError) Is(target error) bool { return target == ErrWrongSequence }

// simulateChecked simulates msgs at the client's sequence. A refusal while
// the sequence is not sure is checked (probe): when the messages simulate
// at another sequence, the answer is a *SequenceError naming it, not
// ErrSimulation.
func (c *Client) simulateChecked(ctx context.Context, msgs []sdk.Msg) (uint64, error) {
	gas, err := c.simulateAt(ctx, c.seq, msgs)
	if err == nil {
		c.seqSure = true
		return gas, nil
	}
	if !errors.Is(err, ErrSimulation) || c.seqSure {
		return 0, err
	}
	used := c.seq
	expected, found, perr := c.probe(ctx, used, msgs)
	switch {
	case perr != nil:
		return 0, perr
	case !found:
		return 0, err
	}
	return 0, &SequenceError{Used: used, Expected: expected, Found: true, base: c.seq}
}

// probe re-reads the account (the last block's sequence) and simulates msgs
// at it and the sequences after it, used excepted: the first the node
// takes is the one its check state expects. found false: none of them (the
// messages are refused, or the backlog is beyond maxSequenceProbes).
func (c *Client) probe(ctx context.Context, used uint64, msgs []sdk.Msg) (expected uint64, found bool, err error) {
	if err := c.refreshAccount(ctx); err != nil {
		return 0, false, err
	}
	for s := c.seq; s < c.seq+maxSequenceProbes; s++ {
		if s == used {
			continue
		}
		_, err := c.simulateAt(ctx, s, msgs)
		if err == nil {
			return s, true, nil
		}
		if !errors.Is(err, ErrSimulation) {
			return 0, false, err
		}
	}
	return 0, false, nil
}

// realign takes the sequence the node expects after err, a refusal of msgs
// for their sequence (from CheckTx: found by probing with msgs); it reports
// whether the client now holds it.
func (c *Client) realign(ctx context.Context, err error, msgs []sdk.Msg) bool {
	var se *SequenceError
	if !errors.As(err, &se) {
		return false
	}
	if !se.Found {
		expected, found, perr := c.probe(ctx, se.Used, msgs)
		if perr != nil || !found {
			return false
		}
		se.Expected, se.Found, se.base = expected, true, c.seq
	}
	return c.adopt(se)
}

// adopt takes the sequence se found, if the client has sent nothing since.
func (c *Client) adopt(se *SequenceError) bool {
	if !se.Found || c.seq != se.base {
		return false
	}
	c.seq, c.seqSure = se.Expected, true
	return true
}

// Resync re-aligns the client's sequence after cause, an error of Simulate
// or Send: a *SequenceError that names the sequence the node expects is
// taken (if nothing was sent since); anything else (nil included) re-reads
// the account from the node, and the next refused simulation looks for the
// sequence the node expects.
func (c *Client) Resync(ctx context.Context, cause error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var se *SequenceError
	if errors.As(cause, &se) && c.adopt(se) {
		return nil
	}
	return c.refreshAccount(ctx)
}
