package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	"github.com/aichain/aichain/x/compute/types"
)

// operator returns the test app's validator: operator address and
// consensus address.
func (s *suite) operator() (string, []byte) {
	s.t.Helper()
	vals, err := s.ta.StakingKeeper.GetAllValidators(s.ta.Ctx)
	if err != nil || len(vals) == 0 {
		s.t.Fatalf("validators: %v", err)
	}
	cons, err := vals[0].GetConsAddr()
	if err != nil {
		s.t.Fatal(err)
	}
	return vals[0].OperatorAddress, cons
}

func signer(t testing.TB, tag string) *ve.BeaconSigner {
	t.Helper()
	seed := sha256.Sum256([]byte(tag))
	sg, err := ve.NewBeaconSigner(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func (s *suite) registerBeacon(valoper string, pub, pop []byte) error {
	_, err := s.ms.RegisterBeaconKey(s.ta.Ctx, &types.MsgRegisterBeaconKey{ValidatorAddress: valoper, Pubkey: pub, ProofOfPossession: pop})
	return err
}

// TestRegisterBeaconKey: the operator registers a key; it signs from the
// next height.
func TestRegisterBeaconKey(t *testing.T) {
	s := newSuite(t)
	valoper, cons := s.operator()
	sg := signer(t, "k1")
	if err := s.registerBeacon(valoper, sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, valoper)); err != nil {
		t.Fatal(err)
	}
	key, err := s.k.BeaconKeys.Get(s.ta.Ctx, cons)
	if err != nil || !bytes.Equal(key.Pubkey, sg.PubKey()) || key.Since != s.height()+1 {
		t.Fatalf("key %+v, err %v", key, err)
	}
	if owner, _ := s.k.BeaconOwner(s.ta.Ctx, sg.PubKey()); !bytes.Equal(owner, cons) {
		t.Fatal("owner index not set")
	}
}

// TestAttackRogueKeyRefused: a key without a proof of possession for this
// validator on this chain (one made for another validator, another chain,
// by another key, or a key that is not a point) is refused with
// ErrInvalidBeaconKey and nothing changes. Without the proof, a rogue key
// pk' = pk_x − Σ pk_honest would let the batch check pass shares its owner
// did not make.
func TestAttackRogueKeyRefused(t *testing.T) {
	s := newSuite(t)
	valoper, cons := s.operator()
	sg, other := signer(t, "k1"), signer(t, "k2")
	otherVal := sdk.ValAddress(bytes.Repeat([]byte{7}, 20)).String()
	badPoint := append([]byte{0xa0}, bytes.Repeat([]byte{1}, types.BeaconPubKeySize-1)...)
	for name, c := range map[string]struct{ pub, pop []byte }{
		"pop for another validator": {sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, otherVal)},
		"pop for another chain":     {sg.PubKey(), sg.ProofOfPossession("other-chain", valoper)},
		"pop by another key":        {sg.PubKey(), other.ProofOfPossession(apptesting.ChainID, valoper)},
		"share as pop":              {sg.PubKey(), sg.Share(apptesting.ChainID, nil, 5)},
		"not a point":               {badPoint, sg.ProofOfPossession(apptesting.ChainID, valoper)},
	} {
		err := s.registerBeacon(valoper, c.pub, c.pop)
		if !errors.Is(err, types.ErrInvalidBeaconKey) {
			t.Fatalf("%s: err %v, want ErrInvalidBeaconKey", name, err)
		}
		if has, _ := s.k.BeaconKeys.Has(s.ta.Ctx, cons); has {
			t.Fatalf("%s: a key was stored", name)
		}
	}
}

// TestAttackRegisterForAnotherValidator: MsgRegisterBeaconKey's signer is
// the validator's operator account, so nobody else can sign it; an address
// that is not a validator is refused with ErrNotValidator.
func TestAttackRegisterForAnotherValidator(t *testing.T) {
	s := newSuite(t)
	valoper, _ := s.operator()
	msg := &types.MsgRegisterBeaconKey{ValidatorAddress: valoper}
	signers, _, err := s.ta.AppCodec().GetMsgV1Signers(msg)
	if err != nil {
		t.Fatal(err)
	}
	valAddr, _ := sdk.ValAddressFromBech32(valoper)
	if len(signers) != 1 || !bytes.Equal(signers[0], valAddr) {
		t.Fatalf("signers %x, want the operator account %x", signers, valAddr.Bytes())
	}
	stranger := sdk.ValAddress(s.acc(2)).String()
	sg := signer(t, "k3")
	err = s.registerBeacon(stranger, sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, stranger))
	if !errors.Is(err, types.ErrNotValidator) {
		t.Fatalf("err %v, want ErrNotValidator", err)
	}
}

// TestAttackRotateKeyToGrind: a validator that could swap keys after seeing
// other shares would choose its own share. A rotation counts only from the
// next height (whose shares nobody has revealed), the previous key still
// signs the heights before, and another rotation waits until those heights'
// windows have closed (ErrBeaconKeyPending).
func TestAttackRotateKeyToGrind(t *testing.T) {
	s := newSuite(t)
	valoper, cons := s.operator()
	k1, k2, k3 := signer(t, "k1"), signer(t, "k2"), signer(t, "k3")
	if err := s.registerBeacon(valoper, k1.PubKey(), k1.ProofOfPossession(apptesting.ChainID, valoper)); err != nil {
		t.Fatal(err)
	}
	first := s.height() + 1
	s.next(1)
	err := s.registerBeacon(valoper, k2.PubKey(), k2.ProofOfPossession(apptesting.ChainID, valoper))
	if !errors.Is(err, types.ErrBeaconKeyPending) {
		t.Fatalf("rotation right after registering: err %v, want ErrBeaconKeyPending", err)
	}
	s.next(int(s.params().BeaconWindowBlocks))
	if err := s.registerBeacon(valoper, k2.PubKey(), k2.ProofOfPossession(apptesting.ChainID, valoper)); err != nil {
		t.Fatal(err)
	}
	rot := s.height()
	for h, want := range map[int64][]byte{first: k1.PubKey(), rot: k1.PubKey(), rot + 1: k2.PubKey()} {
		got, err := s.k.BeaconKeyFor(s.ta.Ctx, cons, h)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("key for height %d is not the expected one (err %v)", h, err)
		}
	}
	err = s.registerBeacon(valoper, k3.PubKey(), k3.ProofOfPossession(apptesting.ChainID, valoper))
	if !errors.Is(err, types.ErrBeaconKeyPending) {
		t.Fatalf("second rotation in the window: err %v", err)
	}
	if has, _ := s.k.BeaconKeyOwners.Has(s.ta.Ctx, k1.PubKey()); has {
		t.Fatal("the rotated-out key still maps to the validator")
	}
}

// TestAttackForgedShare: shares that are not the validator's signature of
// that height (another height's, another key's, garbage, a non-canonical
// encoding) are not recorded; the honest ones of the same block are. A
// refused share is kept as refused: only its validator can have put it in
// its (signed) vote extension, its real share of the height is unique, and
// a share checked again at every block of the window cost every validator
// its pairings for nothing (TestAttackInvalidBeaconSharesAreCheckedOnce).
func TestAttackForgedShare(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	b := s.height() + 1
	s.next(1)
	j := b - 1
	forged := map[int][]byte{
		1: net.signers[1].Share(apptesting.ChainID, net.tag, j+1), // another height
		2: net.signers[0].Share(apptesting.ChainID, net.tag, j),   // another validator's
		3: bytes.Repeat([]byte{0x99}, types.BeaconShareSize),
	}
	votes := []types.ValidatorShares{{ConsAddress: net.cons[0], Shares: []types.BeaconShare{{Height: j, Signature: net.signers[0].Share(apptesting.ChainID, net.tag, j)}}}}
	for i, sig := range forged {
		votes = append(votes, types.ValidatorShares{ConsAddress: net.cons[i], Shares: []types.BeaconShare{{Height: j, Signature: sig}}})
	}
	if err := s.k.RecordBeacon(s.ta.Ctx, net.set(), votes); err != nil {
		t.Fatal(err)
	}
	for i := range net.cons {
		sig, err := s.k.BeaconShares.Get(s.ta.Ctx, joinShare(j, net.cons[i]))
		if err != nil || (len(sig) > 0) != (i == 0) {
			t.Fatalf("validator %d: share %x (%v), want recorded %t", i, sig, err, i == 0)
		}
	}
	// The validator's own refused share is not checked again; the beacon
	// counts only the verified share.
	votes = []types.ValidatorShares{{ConsAddress: net.cons[1], Shares: []types.BeaconShare{{Height: j, Signature: net.signers[1].Share(apptesting.ChainID, net.tag, j)}}}}
	s.next(1)
	if err := s.k.RecordBeacon(s.ta.Ctx, net.set(), votes); err != nil {
		t.Fatal(err)
	}
	if sig, _ := s.k.BeaconShares.Get(s.ta.Ctx, joinShare(j, net.cons[1])); len(sig) != 0 {
		t.Fatal("a share was recorded for a validator whose share of the height was refused")
	}
}

// TestAttackProposerOmitsShare: a proposer that leaves out honest shares
// (keeping > 2/3, as it must) changes nothing when any later proposer in
// the window includes them: the beacon is over every share recorded by its
// close.
func TestAttackProposerOmitsShare(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	w := int64(s.params().BeaconWindowBlocks)
	j := s.height()
	// The proposers of j+1 .. j+W-1 drop validator 3's share of j; only the
	// last one of the window includes it.
	omit := func(i int, h int64) bool { return !(i == 3 && h == j && s.height() < j+w) }
	s.beaconBlocks(net, int(w), omit)
	s.record(s.ta.Ctx, net, omit)
	if b, _ := s.beacon(j); !bytes.Equal(b.Value, net.expectedBeacon(j, 0, 1, 2, 3)) {
		t.Fatalf("beacon of %d is not over all four shares: %+v", j, b)
	}
}

func joinShare(h int64, cons []byte) collections.Pair[int64, []byte] {
	return collections.Join(h, cons)
}

// TestAttackInvalidBeaconSharesAreCheckedOnce: validators below 1/3 put in
// every vote extension a share that is a valid point but not their
// signature of the height (their share of another height): free to send.
// None was ever recorded, so the same shares were verified again in every
// block of the round's window, each time bisecting the failing batch with
// its scalar multiplications redone at every split: every validator's
// pre-blocker 7.4 times slower than with valid shares, at every block. Now a
// refused share is kept as refused and never checked again (and a failing
// batch is split on points multiplied once: BenchmarkVerifyBeaconShares
// third-invalid-n); the beacon counts the verified shares only.
func TestAttackInvalidBeaconSharesAreCheckedOnce(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	s.next(1)
	j := s.height() - 1
	var logs bytes.Buffer
	ctx := s.ta.Ctx.WithLogger(log.NewLogger(&logs))
	votes := func() []types.ValidatorShares {
		v := []types.ValidatorShares{{ConsAddress: net.cons[3], Shares: []types.BeaconShare{{Height: j, Signature: net.signers[3].Share(apptesting.ChainID, net.tag, j+7)}}}}
		for i := 0; i < 3; i++ {
			v = append(v, types.ValidatorShares{ConsAddress: net.cons[i], Shares: []types.BeaconShare{{Height: j, Signature: net.signers[i].Share(apptesting.ChainID, net.tag, j)}}})
		}
		return v
	}
	for block := 0; block < 3; block++ { // the same extensions in three blocks of the window
		must(t, s.k.RecordBeacon(ctx, net.set(), votes()))
	}
	if n := strings.Count(logs.String(), "does not verify"); n != 1 {
		t.Fatalf("the invalid share was verified %d times in three blocks, want once:\n%s", n, logs.String())
	}
	for block := 0; block < int(s.params().BeaconWindowBlocks)+1; block++ {
		s.next(1)
		must(t, s.k.RecordBeacon(s.ta.Ctx, net.set(), nil))
	}
	b, ok := s.beacon(j)
	if !ok || b.Shares != 3 || b.SignedPower != 30 || !bytes.Equal(b.Value, net.expectedBeacon(j, 0, 1, 2)) {
		t.Fatalf("beacon of %d: %+v (found %t), want the three verified shares (power 30)", j, b, ok)
	}
}

// TestBeaconKeyRecordsTheCanonicalAddress: a registration naming the
// validator in upper case (the same validator to bech32) is checked against
// the proof for, and records, the canonical address, the one `beacon pop`
// signs and every other record uses.
func TestBeaconKeyRecordsTheCanonicalAddress(t *testing.T) {
	s := newSuite(t)
	valoper, cons := s.operator()
	sg := signer(t, "k-upper")
	if err := s.registerBeacon(strings.ToUpper(valoper), sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, valoper)); err != nil {
		t.Fatalf("upper-case registration with the canonical proof: %v", err)
	}
	if key, err := s.k.BeaconKeys.Get(s.ta.Ctx, cons); err != nil || key.ValidatorAddress != valoper {
		t.Fatalf("key %+v (%v): want it recorded for %s", key, err, valoper)
	}
}
