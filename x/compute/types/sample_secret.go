package types

import (
	"bytes"
	"crypto/sha256"
)

// The requester's secret in its result's draw. A validator with a beacon key
// sees the honest shares of a draw's heights before its own are due, and
// withholding its shares chooses among 4 draws: one colluding with a
// provider kept a result the full set samples unsampled (docs/open-attacks.md
// until this rule). A requester that committed to a secret at the job's
// creation reveals it once those beacons are final; the draw's seed is then
// SecretSeed(beacon seed, secret), which the withholding validator could not
// compute when it chose, so its choice is blind. The requester gains no
// choice it can profit from: the commitment fixes the secret, and revealing
// or not decides only whether its own job's draw is blind to the validators.
const (
	// SampleSecretSize is the size of a sample secret.
	SampleSecretSize = 32
	// SampleRevealBlocks is how long after its draw's beacons are final a
	// result waits for its requester's secret; the draw then runs without
	// it. A validator below 1/3 of the power cannot propose this many
	// blocks in a row to censor the reveal.
	SampleRevealBlocks = 20

	sampleCommitmentDomain = "aichain/sample/secret/v1"
	secretSeedDomain       = "aichain/sample/secret-seed/v1"
)

// SampleCommitment is SHA-256("aichain/sample/secret/v1" ‖ secret): what
// MsgCreateJob.sample_commitment holds.
func SampleCommitment(secret []byte) []byte {
	d := sha256.New()
	d.Write([]byte(sampleCommitmentDomain))
	d.Write(secret)
	return d.Sum(nil)
}

// OpensSampleCommitment reports whether secret is the secret of commitment.
func OpensSampleCommitment(commitment, secret []byte) bool {
	return len(secret) == SampleSecretSize && bytes.Equal(SampleCommitment(secret), commitment)
}

// SecretSeed mixes the requester's secret into a draw's seed:
// SHA-256("aichain/sample/secret-seed/v1" ‖ seed ‖ secret); the seed itself
// without a secret.
func SecretSeed(seed [32]byte, secret []byte) [32]byte {
	if len(secret) == 0 {
		return seed
	}
	d := sha256.New()
	d.Write([]byte(secretSeedDomain))
	d.Write(seed[:])
	d.Write(secret)
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

// validSampleSecret checks a job's sample commitments and revealed secrets
// (genesis): each commitment of 32 bytes or none, a secret only where it
// opens its commitment, and a dispute's commitment only on a disputed job.
func validSampleSecret(j Job) error {
	if err := ValidateSampleCommitment(j.SampleCommitment); err != nil {
		return err
	}
	if len(j.Sample.Secret) > 0 && !OpensSampleCommitment(j.SampleCommitment, j.Sample.Secret) {
		return ErrInvalidSampleSecret.Wrap("sample.secret does not open its sample_commitment")
	}
	if err := ValidateSampleCommitment(j.Sample.DisputeCommitment); err != nil {
		return err
	}
	if len(j.Sample.DisputeCommitment) > 0 && !j.Sample.Disputed {
		return ErrInvalidSampleSecret.Wrap("sample.dispute_commitment on a job that was not disputed")
	}
	if len(j.Sample.DisputeSecret) > 0 && !OpensSampleCommitment(j.Sample.DisputeCommitment, j.Sample.DisputeSecret) {
		return ErrInvalidSampleSecret.Wrap("sample.dispute_secret does not open its dispute_commitment")
	}
	return nil
}

// DrawSecrets mixes into a draw's seed the secrets its requester revealed:
// the job's (sample.secret), then its dispute's (sample.dispute_secret).
// Either absent leaves the seed as it is.
func DrawSecrets(seed [32]byte, s JobSample) [32]byte {
	return SecretSeed(SecretSeed(seed, s.Secret), s.DisputeSecret)
}

// ValidateDisputeCommitment refuses, as a dispute's sample commitment on
// job j, one whose secret is already on chain: the job's own commitment,
// opened by the reveal of its result's draw (sample.secret). That dispute's
// draw, mixed with a public secret, would be as open to a validator
// withholding its beacon shares as the beacons' alone
// (TestAttackDisputeCommitmentOpenedOnChain).
func ValidateDisputeCommitment(j Job, c []byte) error {
	if len(c) > 0 && len(j.Sample.Secret) > 0 && OpensSampleCommitment(c, j.Sample.Secret) {
		return ErrInvalidSampleSecret.Wrap("sample_commitment is the job's, whose secret its result's draw revealed: a dispute's must be fresh")
	}
	return nil
}

// ValidateSampleCommitment refuses a sample commitment that is neither
// absent nor a SHA-256 digest (ErrInvalidSampleSecret).
func ValidateSampleCommitment(c []byte) error {
	if n := len(c); n != 0 && n != sha256.Size {
		return ErrInvalidSampleSecret.Wrapf("sample_commitment has %d bytes, want %d or none", n, sha256.Size)
	}
	return nil
}
