package msgfuzz_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/msgfuzz"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// The modules' ValidateBasic reads account addresses with the SDK config's
// prefix, which the app sets to the chain's.
func init() {
	sdk.GetConfig().SetBech32PrefixForAccount(msgfuzz.AccountPrefix, msgfuzz.AccountPrefix+sdk.PrefixPublic)
}

// recorder is a testing.TB whose Fatal and Fatalf record the message and
// end the goroutine, so that a test can see the harness fail.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs fn with a recorder and returns what it failed with ("" if it
// did not fail).
func fails(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.msg
}

// harness is a harness over three compute Msgs whose Assert counts its calls
// and fails when failAssert is set.
func harness(codespace, aminoPrefix string, failAssert bool, calls *int) *msgfuzz.Harness {
	return &msgfuzz.Harness{
		Codespace:          codespace,
		AminoPrefix:        aminoPrefix,
		Msgs:               []msgfuzz.Msg{&types.MsgUnbondProvider{}, &types.MsgCancelJob{}, &types.MsgDisputeResult{}},
		RegisterAmino:      types.RegisterLegacyAminoCodec,
		RegisterInterfaces: types.RegisterInterfaces,
		Assert: func(t testing.TB, m msgfuzz.Msg, signer []byte) {
			*calls++
			if failAssert {
				t.Fatalf("broken promise for %T", m)
			}
			if len(signer) != 20 {
				t.Fatalf("signer %x", signer)
			}
		},
	}
}

func TestCheckAcceptsAndRefuses(t *testing.T) {
	calls := 0
	h := harness(types.ModuleName, "aichain/compute/", false, &calls)
	a := msgfuzz.Addr(t, 1)

	valid := h.Input(t, &types.MsgCancelJob{Requester: a, JobId: 7})
	if valid[0] != 1 {
		t.Fatalf("selector %d, want 1 (the index of MsgCancelJob)", valid[0])
	}
	if !h.Check(t, valid) || calls != 1 {
		t.Fatalf("valid MsgCancelJob: accepted=false or Assert called %d times", calls)
	}
	if h.Check(t, h.Input(t, &types.MsgCancelJob{Requester: a})) {
		t.Fatal("MsgCancelJob with job_id 0 accepted")
	}
	// The selector wraps around: 4 % 3 selects MsgCancelJob too.
	valid[0] = 4
	if !h.Check(t, valid) {
		t.Fatal("selector 4 does not select MsgCancelJob")
	}
	for _, in := range [][]byte{nil, {0, 0xff}, {1, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		if h.Check(t, in) {
			t.Fatalf("%x accepted", in)
		}
	}
	if calls != 2 {
		t.Fatalf("Assert called %d times, want 2", calls)
	}
}

func TestHarnessFails(t *testing.T) {
	a := msgfuzz.Addr(t, 1)
	calls := 0
	for _, tc := range []struct {
		name string
		h    *msgfuzz.Harness
		msg  msgfuzz.Msg
		want string
	}{
		{"broken promise", harness(types.ModuleName, "aichain/compute/", true, &calls), &types.MsgDisputeResult{Requester: a, JobId: 1}, "broken promise"},
		{"foreign codespace", harness("other", "aichain/compute/", false, &calls), &types.MsgCancelJob{Requester: a}, "not a registered other error"},
		{"amino name", harness(types.ModuleName, "aichain/other/", false, &calls), &types.MsgUnbondProvider{Operator: a}, "lacks the amino type name"},
		{"unknown Msg", harness(types.ModuleName, "aichain/compute/", false, &calls), &types.MsgCommitBid{Provider: a}, "is not in the harness's Msgs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fails(t, func(tb testing.TB) { tc.h.Check(tb, tc.h.Input(tb, tc.msg)) })
			if !strings.Contains(got, tc.want) {
				t.Fatalf("failed with %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAsserts(t *testing.T) {
	a, b := msgfuzz.Addr(t, 1), msgfuzz.Addr(t, 2)
	signer := make([]byte, 20)
	for i := range signer {
		signer[i] = 1
	}
	for _, tc := range []struct {
		name string
		fn   func(tb testing.TB)
		want string // "" when the assert must pass
	}{
		{"aic signer", func(tb testing.TB) { msgfuzz.AssertAic(tb, "owner", a, signer) }, ""},
		{"aic any", func(tb testing.TB) { msgfuzz.AssertAic(tb, "owner", b, nil) }, ""},
		{"aic other signer", func(tb testing.TB) { msgfuzz.AssertAic(tb, "owner", b, signer) }, "is not the signer"},
		{"aic cosmos", func(tb testing.TB) {
			msgfuzz.AssertAic(tb, "owner", "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", nil)
		}, "owner"},
		{"coin", func(tb testing.TB) { msgfuzz.AssertPositiveCoin(tb, "bond", sdk.NewInt64Coin("uaic", 1)) }, ""},
		{"zero coin", func(tb testing.TB) { msgfuzz.AssertPositiveCoin(tb, "bond", sdk.NewInt64Coin("uaic", 0)) }, "bond"},
		{"no fees", func(tb testing.TB) { msgfuzz.AssertFees(tb, "fee", nil) }, ""},
		{"unsorted fees", func(tb testing.TB) {
			msgfuzz.AssertFees(tb, "fee", sdk.Coins{sdk.NewInt64Coin("uatom", 1), sdk.NewInt64Coin("uaic", 1)})
		}, "fee"},
		{"shares", func(tb testing.TB) {
			msgfuzz.AssertShares(tb, []common.Share{{Address: a, Weight: 1}, {Address: b, Weight: 2}})
		}, ""},
		{"no shares", func(tb testing.TB) { msgfuzz.AssertShares(tb, nil) }, "0 shares"},
		{"duplicate share", func(tb testing.TB) {
			msgfuzz.AssertShares(tb, []common.Share{{Address: a, Weight: 1}, {Address: a, Weight: 2}})
		}, "shares"},
		{"zero weight", func(tb testing.TB) { msgfuzz.AssertShares(tb, []common.Share{{Address: a}}) }, "shares"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fails(t, tc.fn)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("failed with %q, want %q", got, tc.want)
			}
		})
	}
}
