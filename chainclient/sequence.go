package chainclient

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// The account sequence. A node checks a tx's sequence against its check
// state: the last block's state and the account's txs already in its
// mempool. The client reads the account from the last block (AccountInfo),
// so a client started while txs of the same key wait in the mempool (an
// agent restarted quicker than a block) reads a sequence behind the one
// the node expects; and a node that loses its mempool (a restart, an
// eviction) after accepting the client's txs expects a sequence behind the
// client's. Either way the node refuses every tx the client signs: in
// CheckTx with the SDK's ErrWrongSequence (codespace sdk, code 32), and in
// a simulation with a gRPC error that carries no code at all (x/auth/tx's
// Simulate wraps every failure in codes.Unknown and a text). So a refused
// simulation is not taken for a refusal of its messages before it is
// checked: the client re-reads the account and simulates the same messages
// at the sequences from the last block's up (probe), and the one the node
// takes is the one it expects — the node answers for the sequence by what
// it accepts, never by the words of an error. A tx accepted by CheckTx, or
// a simulation that passes, makes the sequence sure (seqSure); a refusal at
// a sure sequence is checked too, and when no other sequence takes the
// messages the sure sequence is kept.
//
// A probe that finds nothing is not repeated for the same messages, nor
// for any part of them (probed), until the account is read again for
// another reason (Resync, ResyncSequence, a refusal by CheckTx) or a tx is
// accepted: the messages are refused, and the refused sub-batches of a
// bisection cost one simulation each, not a probe each. Other messages are
// still checked.

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

// simulateChecked simulates msgs at the client's sequence. A refusal is
// checked (probe) once per account read or accepted tx for the same
// messages or a part of them: when the messages simulate at another
// sequence, the answer is a *SequenceError naming it, not ErrSimulation.
// When none takes them, a sequence that was sure stays (unless the last
// block is past it): the messages are what the node refuses.
func (c *Client) simulateChecked(ctx context.Context, msgs []sdk.Msg) (uint64, error) {
	gas, err := c.simulateAt(ctx, c.seq, msgs)
	if err == nil {
		c.seqSure = true
		return gas, nil
	}
	if !errors.Is(err, ErrSimulation) || c.probedBefore(msgs) {
		return 0, err
	}
	used, sure := c.seq, c.seqSure
	expected, found, perr := c.probe(ctx, used, msgs)
	if found {
		return 0, &SequenceError{Used: used, Expected: expected, Found: true, base: c.seq}
	}
	if sure && used >= c.seq {
		c.seq, c.seqSure = used, true
	}
	if perr != nil {
		return 0, perr
	}
	c.rememberProbed(msgs)
	return 0, err
}

// msgKey identifies a message by its type and its bytes; ok false if it
// does not marshal (it is then never taken for one probed before).
func msgKey(m sdk.Msg) (key [32]byte, ok bool) {
	bz, err := proto.Marshal(m)
	if err != nil {
		return key, false
	}
	typed := append([]byte(sdk.MsgTypeURL(m)+"\x00"), bz...)
	return sha256.Sum256(typed), true
}

// probedBefore reports whether every one of msgs was among the messages of
// a probe that found no sequence, since the last account read or accepted
// tx.
func (c *Client) probedBefore(msgs []sdk.Msg) bool {
	if len(c.probed) == 0 || len(msgs) == 0 {
		return false
	}
	for _, m := range msgs {
		k, ok := msgKey(m)
		if !ok {
			return false
		}
		if _, in := c.probed[k]; !in {
			return false
		}
	}
	return true
}

// rememberProbed records msgs as probed without a sequence found.
func (c *Client) rememberProbed(msgs []sdk.Msg) {
	if c.probed == nil {
		c.probed = make(map[[32]byte]struct{}, len(msgs))
	}
	for _, m := range msgs {
		if k, ok := msgKey(m); ok {
			c.probed[k] = struct{}{}
		}
	}
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
