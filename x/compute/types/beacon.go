package types

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/sign/bls"
)

// The sampling beacon (README "Sampling randomness"): each validator signs
// every height with a BLS key it registered (BLS signatures are unique per
// key and message, so a share cannot be ground); the shares travel in vote
// extensions; the beacon of a height is SHA-256 over the shares recorded for
// it once its window has closed.

// BeaconGroup is the key group: public keys in G2 (96 bytes), signatures in
// G1 (48 bytes), the "minimal-signature-size" variant.
type BeaconGroup = bls.KeyG2SigG1

const (
	// BeaconPubKeySize and BeaconShareSize are the compressed encodings.
	BeaconPubKeySize = bls12381.G2SizeCompressed
	BeaconShareSize  = bls12381.G1SizeCompressed
	// MaxBeaconSharesPerExtension bounds the shares in one vote extension
	// (every extension format).
	MaxBeaconSharesPerExtension = 16

	beaconShareDomain = "aichain/beacon/share/v1"
	beaconPoPDomain   = "aichain/beacon/pop/v1"
	beaconValueDomain = "aichain/beacon/value/v1"
	beaconSeedDomain  = "aichain/sample/beacon/v1"
	beaconBatchDomain = "aichain/beacon/batch/v1"
	// beaconRestartDomain, beaconLaunchDomain and beaconSigningDomain
	// separate restart, launch and signing tags.
	beaconRestartDomain = "aichain/beacon/restart/v1"
	beaconLaunchDomain  = "aichain/beacon/launch/v1"
	beaconSigningDomain = "aichain/beacon/signing/v1"
	// BeaconRestartTagSize is a restart tag's size (SHA-256).
	BeaconRestartTagSize = sha256.Size
)

// BeaconShareMessage is what a validator signs for height:
// "aichain/beacon/share/v1" ‖ len(chain-id) ‖ chain-id ‖ uint64be(height),
// followed by the chain's signing tag when it has one (BeaconSigningTag: a
// chain started from a genesis since the tag, or restarted from a
// zero-height export). Without it a restarted chain, with the same keys,
// chain-id and heights from 1, would make the old chain's beacons again,
// published long before (TestAttackZeroHeightRestartReplaysTheOldChainsBeacons,
// TestAttackRetriedRestartReplaysTheAbortedRunsBeacons); a chain running
// since before the tag signs what it always has.
func BeaconShareMessage(chainID string, tag []byte, height int64) []byte {
	b := make([]byte, 0, len(beaconShareDomain)+1+len(chainID)+8+len(tag))
	b = append(b, beaconShareDomain...)
	b = append(b, byte(len(chainID)))
	b = append(b, chainID...)
	b = binary.BigEndian.AppendUint64(b, uint64(height))
	return append(b, tag...)
}

// BeaconLaunchTag is the launch tag of a run of the chain started by
// InitChain at genesisTime and initialHeight: SHA-256 over
// "aichain/beacon/launch/v1" ‖ uint64be(genesis time, Unix ns) ‖
// uint64be(initialHeight). Two runs from one exported state (a relaunch
// retried after a failed start) differ by it when their genesis times do.
func BeaconLaunchTag(genesisTime time.Time, initialHeight int64) []byte {
	b := append([]byte(beaconLaunchDomain), binary.BigEndian.AppendUint64(nil, uint64(genesisTime.UnixNano()))...)
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(b, uint64(initialHeight)))
	return sum[:]
}

// BeaconSigningTag is what every share signs after the height (see
// BeaconShareMessage): restart alone on a chain without a launch tag (one
// running since before it: what it always signed), else SHA-256 over
// "aichain/beacon/signing/v1" ‖ len(restart) ‖ restart ‖ launch.
func BeaconSigningTag(restart, launch []byte) []byte {
	if len(launch) == 0 {
		return restart
	}
	h := sha256.New()
	h.Write([]byte(beaconSigningDomain))
	h.Write([]byte{byte(len(restart))})
	h.Write(restart)
	h.Write(launch)
	return h.Sum(nil)
}

// BeaconRestartTag is the restart tag of a chain exported for zero height
// at exportHeight, whose tag was prev (empty if never restarted) and whose
// latest final beacon was last (empty if none): SHA-256 over
// "aichain/beacon/restart/v1" ‖ len(prev) ‖ prev ‖ uint64be(exportHeight) ‖
// last. Every zero-height restart gets a new one, bound to the chain's
// history, so its beacons are none that any earlier run of the chain made.
func BeaconRestartTag(prev []byte, exportHeight int64, last []byte) []byte {
	h := sha256.New()
	h.Write([]byte(beaconRestartDomain))
	h.Write([]byte{byte(len(prev))})
	h.Write(prev)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(exportHeight)))
	h.Write(last)
	return h.Sum(nil)
}

// BeaconPoPMessage is what the proof of possession signs: the domain, the
// chain-id, the validator's operator address and the key itself, each
// length-prefixed. It can never equal a share message (other domain).
func BeaconPoPMessage(chainID, valoper string, pubkey []byte) []byte {
	b := []byte(beaconPoPDomain)
	for _, part := range [][]byte{[]byte(chainID), []byte(valoper), pubkey} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return b
}

// ParseBeaconPubKey decodes a compressed G2 public key, refusing anything
// but the canonical 96-byte encoding of a point of the subgroup other than
// the identity.
func ParseBeaconPubKey(bz []byte) (*bls.PublicKey[BeaconGroup], error) {
	if len(bz) != BeaconPubKeySize {
		return nil, ErrInvalidBeaconKey.Wrapf("public key is %d bytes, want %d", len(bz), BeaconPubKeySize)
	}
	pk := new(bls.PublicKey[BeaconGroup])
	if err := pk.UnmarshalBinary(bz); err != nil || !pk.Validate() {
		return nil, ErrInvalidBeaconKey.Wrap("public key is not a valid G2 point")
	}
	if canon, err := pk.MarshalBinary(); err != nil || !bytes.Equal(canon, bz) {
		return nil, ErrInvalidBeaconKey.Wrap("public key is not in canonical compressed form")
	}
	return pk, nil
}

// VerifyBeaconPoP checks a key and its proof of possession for valoper on
// chainID: what makes aggregating keys of one message sound (no rogue key).
func VerifyBeaconPoP(chainID, valoper string, pubkey, pop []byte) error {
	pk, err := ParseBeaconPubKey(pubkey)
	if err != nil {
		return err
	}
	if len(pop) != BeaconShareSize || !bls.Verify(pk, BeaconPoPMessage(chainID, valoper, pubkey), pop) {
		return ErrInvalidBeaconKey.Wrap("proof of possession does not verify")
	}
	return nil
}

// parseShare decodes a share: exactly the 48-byte canonical compressed
// encoding of a G1 subgroup point, so that one signature has one encoding
// (an uncompressed copy of a valid share would be a second beacon input).
func parseShare(bz []byte) (*bls12381.G1, bool) {
	if len(bz) != BeaconShareSize {
		return nil, false
	}
	p := new(bls12381.G1)
	if err := p.SetBytes(bz); err != nil || p.IsIdentity() || !bytes.Equal(p.BytesCompressed(), bz) {
		return nil, false
	}
	return p, true
}

// VerifyBeaconShares checks the shares of one height (msg), sigs[i] by
// pubs[i], and returns which are valid. Keys must have passed a proof of
// possession. All together cost one check of two pairings: Σ rᵢ·σᵢ against
// Σ rᵢ·pkᵢ with coefficients rᵢ hashed from the whole batch (so that invalid
// shares that cancel in a plain sum do not pass); a failing batch is split in
// halves, so b bad shares among n cost O(b·log n) checks of two pairings on
// sums of points multiplied once.
func VerifyBeaconShares(msg []byte, pubs, sigs [][]byte) []bool {
	ok := make([]bool, len(sigs))
	idx := make([]int, 0, len(sigs))
	pts := make([]*bls12381.G1, len(sigs))
	keys := make([]*bls12381.G2, len(sigs))
	for i := range sigs {
		p, good := parseShare(sigs[i])
		k := new(bls12381.G2)
		if !good || len(pubs[i]) != BeaconPubKeySize || k.SetBytes(pubs[i]) != nil || k.IsIdentity() {
			continue
		}
		pts[i], keys[i] = p, k
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return ok
	}
	var h bls12381.G1
	h.Hash(msg, []byte("BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"))
	seed := batchSeed(msg, pubs, sigs)
	verifyBatch(&h, seed, idx, pts, keys, ok)
	return ok
}

func verifyBatch(h *bls12381.G1, seed [32]byte, idx []int, pts []*bls12381.G1, keys []*bls12381.G2, ok []bool) {
	// Each share and key is multiplied by its coefficient once; a failing
	// batch's halves are then checked on sums of these (point additions and
	// two pairings each), never multiplied again: b bad shares among n cost
	// n scalar multiplications and O(b·log n) pairings, not O(n·log n)
	// multiplications (TestAttackInvalidBeaconSharesSlowEveryBlock).
	rs := make([]bls12381.G1, len(pts))
	rk := make([]bls12381.G2, len(keys))
	for _, i := range idx {
		r := batchCoefficient(seed, i)
		rs[i].ScalarMult(r, pts[i])
		rk[i].ScalarMult(r, keys[i])
	}
	checkScaled(h, idx, rs, rk, ok)
}

// checkScaled checks the shares idx on their scaled points: all together
// (e(Σrσ, g2) == e(H(m), Σr·pk)), and a failing group in halves down to
// single shares.
func checkScaled(h *bls12381.G1, idx []int, rs []bls12381.G1, rk []bls12381.G2, ok []bool) {
	var sig bls12381.G1
	var key bls12381.G2
	sig.SetIdentity()
	key.SetIdentity()
	for _, i := range idx {
		sig.Add(&sig, &rs[i])
		key.Add(&key, &rk[i])
	}
	// e(Σrσ, g2) == e(H(m), Σr·pk)  ⇔  e(Σrσ, g2) · e(H(m), Σr·pk)^-1 == 1
	res := bls12381.ProdPairFrac([]*bls12381.G1{&sig, h}, []*bls12381.G2{bls12381.G2Generator(), &key}, []int{1, -1})
	if res.IsIdentity() {
		for _, i := range idx {
			ok[i] = true
		}
		return
	}
	if len(idx) == 1 {
		return
	}
	mid := len(idx) / 2
	checkScaled(h, idx[:mid], rs, rk, ok)
	checkScaled(h, idx[mid:], rs, rk, ok)
}

// batchSeed commits to the whole batch: the coefficients are fixed only
// once every share is.
func batchSeed(msg []byte, pubs, sigs [][]byte) [32]byte {
	d := sha256.New()
	d.Write([]byte(beaconBatchDomain))
	d.Write(msg)
	for i := range sigs {
		d.Write(pubs[i])
		d.Write(sigs[i])
	}
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

// batchCoefficient is a 128-bit coefficient for share i.
func batchCoefficient(seed [32]byte, i int) *bls12381.Scalar {
	var buf [40]byte
	copy(buf[:], seed[:])
	binary.BigEndian.PutUint64(buf[32:], uint64(i))
	d := sha256.Sum256(buf[:])
	r := new(bls12381.Scalar)
	r.SetBytes(d[:16])
	return r
}

// BeaconInput is one recorded share of a height.
type BeaconInput struct {
	ConsAddress []byte
	Share       []byte
}

// BeaconValue is SHA-256("aichain/beacon/value/v1" ‖ uint64be(height) ‖
// for each share in address order: len(addr) ‖ addr ‖ share). Inputs must be
// in increasing address order (as the store iterates them).
func BeaconValue(height int64, inputs []BeaconInput) []byte {
	d := sha256.New()
	d.Write([]byte(beaconValueDomain))
	_ = binary.Write(d, binary.BigEndian, uint64(height))
	for _, in := range inputs {
		d.Write([]byte{byte(len(in.ConsAddress))})
		d.Write(in.ConsAddress)
		d.Write(in.Share)
	}
	return d.Sum(nil)
}

// BeaconSeed is a job's sampling seed from beacons:
// SHA-256("aichain/sample/beacon/v1" ‖ uint64be(jobID) ‖ beacon₁ ‖ beacon₂ …).
func BeaconSeed(jobID uint64, beacons [][]byte) [32]byte {
	d := sha256.New()
	d.Write([]byte(beaconSeedDomain))
	_ = binary.Write(d, binary.BigEndian, jobID)
	for _, b := range beacons {
		d.Write(b)
	}
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

// ValidatorShares are one committing validator's beacon shares in an
// injected commit (the PreBlocker's input to RecordBeacon).
type ValidatorShares struct {
	ConsAddress []byte
	Shares      []BeaconShare
}

// ValidateBasic checks the message without state (the proof of possession
// is checked against the chain-id in the keeper).
func (m *MsgRegisterBeaconKey) ValidateBasic() error {
	if m.ValidatorAddress == "" {
		return ErrInvalidAddress.Wrap("validator_address is empty")
	}
	if len(m.Pubkey) != BeaconPubKeySize {
		return ErrInvalidBeaconKey.Wrapf("pubkey is %d bytes, want %d", len(m.Pubkey), BeaconPubKeySize)
	}
	if len(m.ProofOfPossession) != BeaconShareSize {
		return ErrInvalidBeaconKey.Wrapf("proof_of_possession is %d bytes, want %d", len(m.ProofOfPossession), BeaconShareSize)
	}
	return nil
}
