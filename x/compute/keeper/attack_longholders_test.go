package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackLongShareHolderAddressesRunOfflineCreateJobOutOfGas: a model's
// owner (and a dataset's) lists common.MaxShares share holders whose
// addresses are 255 bytes long (valid: the SDK's bech32 decoding takes up to
// 1,023 characters and VerifyAddressFormat up to 255 bytes). MsgCreateJob
// charges Job.TermsBlockGas, 200 gas a record byte of each holder, while
// `tx compute create-job --offline/--generate-only` allows for the holders
// with types.MaxSharesBlockGas, which assumes addresses of at most 90
// characters ("bech32's most", a limit the SDK does not apply). An honest
// requester's offline-signed job on that model runs out of gas and loses its
// fee. Honest outcome: the gas MsgCreateJob uses for a valid job naming
// valid inputs fits OfflineCreateJobGas. Now a share holder's address is at
// most common.MaxShareAddressBytes (32: an account's, module-derived or
// interchain ones included), longer ones refused with ErrInvalidShares, and
// a job on inputs of 32 holders of 32-byte addresses each fits.
func TestAttackLongShareHolderAddressesRunOfflineCreateJobOutOfGas(t *testing.T) {
	s := newSuite(t)
	owner := s.acc(5)
	if err := common.ValidateNewShares(holderShares(owner, 2, 255, 0xA1)); !errors.Is(err, common.ErrInvalidShares) {
		t.Fatalf("a 255-byte holder address: %v, want ErrInvalidShares", err)
	}
	if err := common.ValidateNewShares(holderShares(owner, 2, common.MaxShareAddressBytes+1, 0xA1)); !errors.Is(err, common.ErrInvalidShares) {
		t.Fatalf("a %d-byte holder address: %v, want ErrInvalidShares", common.MaxShareAddressBytes+1, err)
	}
	w := s.manyHolderInputs(owner, common.MaxShares, false) // 32-byte addresses, the longest accepted
	s.next(1)
	var id uint64
	used := s.msgGas(func() { id = s.mlpJob(s.acc(0), w, 10_000) })
	offline := compute.OfflineCreateJobGas(w)
	t.Logf("job %d: create-job used %d gas (terms %d, bound assumed %d); offline limit %d",
		id, used, s.job(id).TermsBlockGas(), types.MaxSharesBlockGas(), offline)
	if used > offline {
		t.Errorf("a valid create-job used %d gas, over the offline limit %d: an offline-signed job on these inputs runs out of gas", used, offline)
	}
}
