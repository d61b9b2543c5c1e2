package types

import (
	"net/url"
	"strconv"
	"strings"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
)

// Limits of the free-text and list fields.
const (
	MaxMonikerLen  = 70
	MaxEndpointLen = 256
	MaxGPUModelLen = 64
	MaxWorkloads   = 8
	MaxSaltLen     = 64
	// MinSaltLen is the shortest salt a reveal may open a commitment with:
	// 16 bytes, so that nobody can grind a commitment's price before it is
	// revealed.
	MinSaltLen    = 16
	CommitmentLen = 32
	OutputRootLen = 32
)

var (
	_ sdk.Msg = &MsgRegisterProvider{}
	_ sdk.Msg = &MsgUpdateProvider{}
	_ sdk.Msg = &MsgUnbondProvider{}
	_ sdk.Msg = &MsgCreateJob{}
	_ sdk.Msg = &MsgCancelJob{}
	_ sdk.Msg = &MsgCommitBid{}
	_ sdk.Msg = &MsgRevealBid{}
	_ sdk.Msg = &MsgSubmitResult{}
	_ sdk.Msg = &MsgDisputeResult{}
	_ sdk.Msg = &MsgRevealSampleSecret{}
	_ sdk.Msg = &MsgAbortJob{}
	_ sdk.Msg = &MsgUpdateParams{}
	_ sdk.Msg = &MsgPostModelBond{}
	_ sdk.Msg = &MsgWithdrawModelBond{}
	_ sdk.Msg = &MsgSetVerifierEndpoint{}
)

// Validate checks a hardware description (a provider's, or a job's minimum).
func (h Hardware) Validate() error {
	if len(h.GpuModel) > MaxGPUModelLen {
		return ErrInvalidProvider.Wrapf("gpu_model longer than %d", MaxGPUModelLen)
	}
	if len(h.Workloads) > MaxWorkloads {
		return ErrInvalidProvider.Wrapf("more than %d workloads", MaxWorkloads)
	}
	seen := map[string]bool{}
	for _, w := range h.Workloads {
		if _, ok := LookupKind(w); !ok {
			return ErrInvalidProvider.Wrapf("unknown workload %q (want %s)", w, kindList())
		}
		if seen[w] {
			return ErrInvalidProvider.Wrapf("workload %q listed twice", w)
		}
		seen[w] = true
	}
	return nil
}

// Meets reports whether h satisfies the minimum min for a job of kind.
func (h Hardware) Meets(min Hardware, kind string) bool {
	if min.GpuModel != "" && min.GpuModel != h.GpuModel {
		return false
	}
	if h.GpuCount < min.GpuCount || h.VramGib < min.VramGib {
		return false
	}
	has := func(w string) bool {
		for _, x := range h.Workloads {
			if x == w {
				return true
			}
		}
		return false
	}
	if len(h.Workloads) > 0 && !has(kind) {
		return false
	}
	for _, w := range min.Workloads {
		if !has(w) {
			return false
		}
	}
	return true
}

func validateDescription(moniker, endpoint string, hw Hardware) error {
	if moniker == "" || len(moniker) > MaxMonikerLen {
		return ErrInvalidProvider.Wrapf("moniker must have 1 to %d characters", MaxMonikerLen)
	}
	if err := ValidateEndpoint(endpoint); err != nil {
		return err
	}
	return hw.Validate()
}

// ValidateEndpoint checks a provider's endpoint, the base URL sidecars and
// requesters fetch its chunks from: a non-empty http(s) URL with a host, an
// optional port in 1..65535 and path, and no user info, query, fragment or
// spaces. A provider without such an endpoint cannot serve a sampled chunk,
// so it can neither register nor bid. Errors are ErrInvalidProvider.
func ValidateEndpoint(endpoint string) error {
	return validateBaseURL(ErrInvalidProvider, endpoint)
}

// ValidateVerifierEndpoint checks a validator's verification sidecar URL
// (MsgSetVerifierEndpoint) by the rules of ValidateEndpoint. Errors are
// ErrInvalidVerifierEndpoint.
func ValidateVerifierEndpoint(endpoint string) error {
	return validateBaseURL(ErrInvalidVerifierEndpoint, endpoint)
}

// validateBaseURL is ValidateEndpoint's check, its errors of kind.
func validateBaseURL(kind *errorsmod.Error, endpoint string) error {
	bad := func(why string) error {
		return kind.Wrapf("endpoint %q is not a reachable-looking http(s) URL: %s", endpoint, why)
	}
	switch {
	case endpoint == "":
		return bad("empty")
	case len(endpoint) > MaxEndpointLen:
		return kind.Wrapf("endpoint longer than %d", MaxEndpointLen)
	case strings.ContainsFunc(endpoint, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("spaces or control characters")
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return bad(err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the scheme must be http or https")
	case u.Hostname() == "":
		return bad("no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return bad("user info, a query or a fragment")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port out of range")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("empty port")
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgRegisterProvider) ValidateBasic() error {
	if err := ValidateAddress("operator", m.Operator); err != nil {
		return err
	}
	if err := validateDescription(m.Moniker, m.Endpoint, m.Hardware); err != nil {
		return err
	}
	if err := m.Bond.Validate(); err != nil || !m.Bond.IsPositive() {
		return ErrBondTooSmall.Wrapf("bond %s must be a positive coin", m.Bond)
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgUpdateProvider) ValidateBasic() error {
	if err := ValidateAddress("operator", m.Operator); err != nil {
		return err
	}
	if err := validateDescription(m.Moniker, m.Endpoint, m.Hardware); err != nil {
		return err
	}
	if add := m.BondAdded(); !add.IsNil() || add.Denom != "" {
		if err := add.Validate(); err != nil {
			return ErrInvalidPrice.Wrapf("add_bond: %v", err)
		}
	}
	return nil
}

// BondAdded is add_bond, the zero coin when absent (an empty coin from a
// sender that always writes the field reads the same).
func (m *MsgUpdateProvider) BondAdded() sdk.Coin {
	if m.AddBond == nil {
		return sdk.Coin{}
	}
	return *m.AddBond
}

// ValidateBasic checks the message without state.
func (m *MsgUnbondProvider) ValidateBasic() error {
	return ValidateAddress("operator", m.Operator)
}

// ValidateBasic checks the message without state: an owner and a positive,
// valid amount.
func (m *MsgPostModelBond) ValidateBasic() error {
	return validateModelBondMsg(m.Owner, m.Amount)
}

// ValidateBasic checks the message without state: an owner and a positive,
// valid amount.
func (m *MsgWithdrawModelBond) ValidateBasic() error {
	return validateModelBondMsg(m.Owner, m.Amount)
}

func validateModelBondMsg(owner string, amount sdk.Coins) error {
	if err := ValidateAddress("owner", owner); err != nil {
		return err
	}
	if err := amount.Validate(); err != nil {
		return ErrInvalidPrice.Wrapf("amount %s: %v", amount, err)
	}
	if amount.IsZero() {
		return ErrInvalidPrice.Wrap("amount: empty")
	}
	return nil
}

// Validate checks a workload spec without state through its kind's row of
// the workload table (kind.go) and returns its row count when the spec alone
// fixes it (0 for mlp, whose rows come from the dataset).
func (w WorkloadSpec) Validate() (rows uint64, err error) {
	if w.ChunkRows < 1 || w.ChunkRows > maxSize {
		return 0, ErrInvalidWorkload.Wrapf("chunk_rows %d must be in [1, %d]", w.ChunkRows, maxSize)
	}
	k, ok := LookupKind(w.Kind)
	if !ok {
		return 0, ErrInvalidWorkload.Wrapf("unknown kind %q (want %s)", w.Kind, kindList())
	}
	if err := k.checkSpec(w); err != nil {
		return 0, err
	}
	return k.Validate(w)
}

// ChunkCountFor returns ceil(rows/chunk_rows) through the workload package.
func ChunkCountFor(rows, chunkRows uint64) (uint64, error) {
	if rows > maxSize || chunkRows > maxSize {
		return 0, ErrInvalidWorkload.Wrapf("rows %d or chunk_rows %d too large", rows, chunkRows)
	}
	n, err := workload.ChunkCount(int(rows), int(chunkRows))
	if err != nil {
		return 0, ErrInvalidWorkload.Wrap(err.Error())
	}
	return uint64(n), nil
}

// ValidateBasic checks the message without state.
func (m *MsgCreateJob) ValidateBasic() error {
	if err := ValidateAddress("requester", m.Requester); err != nil {
		return err
	}
	if _, err := m.Workload.Validate(); err != nil {
		return err
	}
	if err := m.MaxPrice.Validate(); err != nil || !m.MaxPrice.IsPositive() {
		return ErrInvalidPrice.Wrapf("max_price %s must be a positive coin", m.MaxPrice)
	}
	// The escrow adds the fees to it, and settlement the payment to the fee
	// statistics, in 256-bit Ints: a voucher's amount is bounded like every
	// fee a model or dataset sets (TestCreateJobRefusesOversizedPrice).
	if err := common.CheckAmountBits("max_price", m.MaxPrice); err != nil {
		return ErrInvalidPrice.Wrap(err.Error())
	}
	if m.CommitBlocks == 0 || m.RevealBlocks == 0 || m.ExecBlocks == 0 {
		return ErrInvalidWindow.Wrap("commit_blocks, reveal_blocks and exec_blocks must be positive")
	}
	if err := m.MinHardware.Validate(); err != nil {
		return ErrInvalidWorkload.Wrapf("min_hardware: %v", err)
	}
	if err := m.MaxModelFee.Validate(); err != nil {
		return ErrInvalidPrice.Wrapf("max_model_fee %s: %v", m.MaxModelFee, err)
	}
	if err := m.MaxDatasetFee.Validate(); err != nil {
		return ErrInvalidPrice.Wrapf("max_dataset_fee %s: %v", m.MaxDatasetFee, err)
	}
	if err := ValidateSampleCommitment(m.SampleCommitment); err != nil {
		return err
	}
	return m.Assurance.Validate()
}

// ValidateBasic checks the message without state.
func (m *MsgCancelJob) ValidateBasic() error {
	if err := ValidateAddress("requester", m.Requester); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgCommitBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if len(m.Commitment) != CommitmentLen {
		return ErrInvalidCommitment.Wrapf("commitment has %d bytes, want %d (SHA-256)", len(m.Commitment), CommitmentLen)
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgRevealBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if err := m.Price.Validate(); err != nil || !m.Price.IsPositive() {
		return ErrInvalidPrice.Wrapf("price %s must be a positive coin", m.Price)
	}
	if len(m.Salt) < MinSaltLen || len(m.Salt) > MaxSaltLen {
		return ErrBadCommitment.Wrapf("salt has %d bytes, want %d to %d (random)", len(m.Salt), MinSaltLen, MaxSaltLen)
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgSubmitResult) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if len(m.OutputRoot) != OutputRootLen {
		return ErrInvalidResult.Wrapf("output_root has %d bytes, want %d", len(m.OutputRoot), OutputRootLen)
	}
	if m.ChunkCount == 0 {
		return ErrInvalidResult.Wrap("chunk_count must be positive")
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgDisputeResult) ValidateBasic() error {
	if err := ValidateAddress("requester", m.Requester); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if err := ValidateSampleCommitment(m.SampleCommitment); err != nil {
		return err
	}
	return validChunkIndices(m.ChunkIndices, MaxDisputeChunksLimit)
}

// ValidateBasic checks the message without state.
func (m *MsgRevealSampleSecret) ValidateBasic() error {
	if err := ValidateAddress("requester", m.Requester); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if len(m.Secret) != SampleSecretSize {
		return ErrInvalidSampleSecret.Wrapf("secret has %d bytes, want %d", len(m.Secret), SampleSecretSize)
	}
	return nil
}

// validChunkIndices checks a dispute's chunk indices: at most limit, no index twice.
func validChunkIndices(indices []uint64, limit int) error {
	if len(indices) > limit {
		return ErrInvalidRequest.Wrapf("%d chunk indices, at most %d", len(indices), limit)
	}
	seen := make(map[uint64]bool, len(indices))
	for _, i := range indices {
		if seen[i] {
			return ErrInvalidRequest.Wrapf("chunk index %d named twice", i)
		}
		seen[i] = true
	}
	return nil
}

// ValidateChunkIndices checks a dispute's chunk indices against the params
// and the result: at most max_dispute_chunks, each below chunkCount, none
// twice.
func (p Params) ValidateChunkIndices(indices []uint64, chunkCount uint64) error {
	if err := validChunkIndices(indices, int(p.MaxDisputeChunks)); err != nil {
		return err
	}
	for _, i := range indices {
		if i >= chunkCount {
			return ErrInvalidRequest.Wrapf("chunk index %d, the result has %d chunks", i, chunkCount)
		}
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgAbortJob) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.JobId == 0 {
		return ErrJobNotFound.Wrap("job_id 0")
	}
	if _, known := AbortReason_name[int32(m.Reason)]; !known || m.Reason == AbortReason_ABORT_REASON_UNSPECIFIED {
		return ErrInvalidRequest.Wrapf("abort reason %d: want ABORT_REASON_INPUTS_UNAVAILABLE", m.Reason)
	}
	return nil
}

// ValidateBasic checks the message without state.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := ValidateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}
