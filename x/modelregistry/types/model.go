package types

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// MaxDim bounds a model's input and output dimensions.
const MaxDim = 1 << 24

// ValidateName checks a model name: 1..HardMaxNameLength bytes of ASCII
// letters, digits, '.', '_' and '-', starting with a letter or digit (no '/',
// so that a name is one REST path segment).
func ValidateName(name string) error {
	return validateIdent("name", name, HardMaxNameLength, "._-")
}

// FoldName is the form under which model names are compared for
// uniqueness: two names equal up to case are one name, so that no one can
// register "Llama" beside "llama". Names are ASCII (ValidateName), for which
// strings.ToLower is Unicode simple case folding.
func FoldName(name string) string { return strings.ToLower(name) }

// NameSkeleton is the form under which a new name is compared with the
// registered ones for look-alikes. It is built from the name as written,
// not from FoldName, because case decides what a letter looks like: the
// capital I is drawn as an l, the lower-case i has its dot and is drawn
// like nothing else ("bit" and "blt", "vim" and "vlm" are different names).
// The pairs folded are the ASCII sequences that common sans-serif fonts draw
// alike (Unicode TR39's confusables list each): I, l, 1 and | become l
// ("Ilama" is "llama"); O, o and 0 become o ("0pt" is "opt"); m becomes rn,
// w becomes vv and d becomes cl ("rnistral" is "mistral", "vvhisper" is
// "whisper", "clolly" is "dolly"). Every other letter is lower-cased and no
// other pair is folded: names equal up to case are refused by FoldName
// already, and "llava" beside "llama" is another name. m, w and d are
// expanded, not rn, vv and cl contracted, so that every way of drawing the
// same strokes ("vw", "wv", "vvv") has one skeleton, and a skeleton is its
// own. Names are ASCII (ValidateName); the map is a pure function of the
// name, so it is deterministic.
func NameSkeleton(name string) string {
	var b strings.Builder
	b.Grow(2 * len(name))
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case 'I', '1', '|': // l and L reach l by the default
			b.WriteByte('l')
		case '0': // o and O reach o by the default
			b.WriteByte('o')
		case 'M', 'm':
			b.WriteString("rn")
		case 'W', 'w':
			b.WriteString("vv")
		case 'D', 'd':
			b.WriteString("cl")
		default:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ValidateVersion checks a version string: like a name, '+' also allowed.
func ValidateVersion(version string) error {
	return validateIdent("version", version, HardMaxVersionLength, "._-+")
}

func validateIdent(field, s string, maxLen int, extra string) error {
	if s == "" {
		return errorsmod.Wrapf(ErrInvalidModel, "%s is empty", field)
	}
	if len(s) > maxLen {
		return errorsmod.Wrapf(ErrInvalidModel, "%s is %d bytes, at most %d", field, len(s), maxLen)
	}
	for i, r := range s {
		alnum := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if i == 0 && !alnum {
			return errorsmod.Wrapf(ErrInvalidModel, "%s %q must start with a letter or digit", field, s)
		}
		if !alnum && !strings.ContainsRune(extra, r) {
			return errorsmod.Wrapf(ErrInvalidModel, "%s %q: character %q not allowed (letters, digits and %q only)", field, s, r, extra)
		}
	}
	return nil
}

// ValidateSha256 checks a lowercase hex SHA-256 digest.
func ValidateSha256(h string) error {
	if len(h) != 64 {
		return errorsmod.Wrapf(ErrInvalidModel, "sha256 %q must be 64 lowercase hex characters, got %d", h, len(h))
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return errorsmod.Wrapf(ErrInvalidModel, "sha256 %q must be 64 lowercase hex characters", h)
		}
	}
	return nil
}

// ValidateFees checks a fee: empty (free) or valid coins, sorted, positive,
// each amount within common.MaxAmountBits.
func ValidateFees(field string, fees sdk.Coins) error {
	if err := fees.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidFees, "%s %s: %v", field, fees, err)
	}
	// A voucher that large can come over IBC from a chain the model's owner
	// runs, and the sums a payment adds it to would overflow.
	if err := common.CheckAmountBits(field, fees...); err != nil {
		return errorsmod.Wrap(ErrInvalidFees, err.Error())
	}
	return nil
}

// ValidateShares checks a share list with common.ValidateShares (as state
// may hold it).
func ValidateShares(shares []common.Share) error {
	if err := common.ValidateShares(shares); err != nil {
		return errorsmod.Wrap(ErrInvalidShares, err.Error())
	}
	return nil
}

// ValidateNewShares checks a share list a message sets
// (common.ValidateNewShares).
func ValidateNewShares(shares []common.Share) error {
	if err := common.ValidateNewShares(shares); err != nil {
		return errorsmod.Wrap(ErrInvalidShares, err.Error())
	}
	return nil
}

// ValidateURI checks, statelessly, the uri a model's weights are fetched
// from (its length limit from Params is checked by the keeper).
func ValidateURI(uri string) error {
	if uri == "" || len(uri) > HardMaxURILength || strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errorsmod.Wrapf(ErrInvalidModel, "uri %q must be non-empty, at most %d bytes, without spaces", uri, HardMaxURILength)
	}
	return nil
}

// ValidateNewURI checks a uri a message sets (MsgRegisterModel,
// MsgPublishVersion, MsgUpdateUri): ValidateURI, no format characters, and
// a uri agents fetch weights from: an http:// or https:// URL
// (common.CheckFetchURL), or a file:///absolute/path, which agents started
// for a local network (--local-network) read and every other agent finds
// unavailable. An "ipfs://" uri, or any other scheme, was taken before and
// no provider or sidecar could fetch it: every input check of a job on the
// model abstained, so its owner could void the check of an abort that its
// weights' absence caused
// (TestAttackUnfetchableURISchemeMakesInputChecksAbstain). A model
// registered before the rule keeps its uri (ValidateURI is the genesis
// rule), and agents find its weights unavailable.
func ValidateNewURI(uri string) error {
	if err := ValidateURI(uri); err != nil {
		return err
	}
	if err := common.CheckURIText(uri, HardMaxURILength); err != nil {
		return errorsmod.Wrap(ErrInvalidModel, err.Error())
	}
	if u, err := url.Parse(uri); err == nil && u.Scheme == "file" && u.Host == "" && strings.HasPrefix(u.Path, "/") {
		return nil
	}
	if err := common.CheckFetchURL(uri, HardMaxURILength); err != nil {
		return errorsmod.Wrapf(ErrInvalidModel, "%v, or a file:///absolute/path on a local network", err)
	}
	return nil
}

// ValidateSpec checks, statelessly, the immutable description of a model
// version and its fees and shares (length limits from Params are checked by
// the keeper).
func ValidateSpec(name, version, architecture, sha256, uri string, inputDim, outputDim uint64, gpt *GptConfig, license string,
	feePerJob, feePer1kRows sdk.Coins, shares []common.Share,
) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := ValidateVersion(version); err != nil {
		return err
	}
	if err := ValidateArchitecture(architecture, inputDim, outputDim, gpt); err != nil {
		return err
	}
	if err := ValidateSha256(sha256); err != nil {
		return err
	}
	if err := ValidateURI(uri); err != nil {
		return err
	}
	if strings.TrimSpace(license) == "" || len(license) > HardMaxLicenseLength || !utf8.ValidString(license) {
		return errorsmod.Wrapf(ErrInvalidModel, "license must be a non-empty SPDX id or UTF-8 text of at most %d bytes", HardMaxLicenseLength)
	}
	if err := ValidateFees("fee_per_job", feePerJob); err != nil {
		return err
	}
	if err := ValidateFees("fee_per_1k_rows", feePer1kRows); err != nil {
		return err
	}
	return ValidateShares(shares)
}

// Validate checks a stored model record (genesis).
func (m Model) Validate() error {
	if m.Id == 0 {
		return errorsmod.Wrap(ErrInvalidModel, "id 0 is reserved")
	}
	if err := common.CanonicalAddress("owner", m.Owner, ErrInvalidAddress); err != nil {
		return errorsmod.Wrapf(err, "model %d", m.Id)
	}
	if err := common.PendingOwner(m.PendingOwner, m.Owner, ErrInvalidAddress); err != nil {
		return errorsmod.Wrapf(err, "model %d", m.Id)
	}
	for _, s := range m.Shares {
		if err := common.CanonicalAddress("share", s.Address, ErrInvalidAddress); err != nil {
			return errorsmod.Wrapf(err, "model %d", m.Id)
		}
	}
	if err := ValidateSpec(m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.Gpt, m.License,
		m.FeePerJob, m.FeePer1kRows, m.Shares); err != nil {
		return errorsmod.Wrapf(err, "model %d", m.Id)
	}
	if err := ValidateLayerWidths(m.Architecture, m.InputDim, m.OutputDim, m.LayerWidths); err != nil {
		return errorsmod.Wrapf(err, "model %d", m.Id)
	}
	if m.Status != MODEL_STATUS_ACTIVE && m.Status != MODEL_STATUS_DEPRECATED {
		return errorsmod.Wrapf(ErrInvalidModel, "model %d: status %s", m.Id, m.Status)
	}
	if err := m.Usage.Revenue.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidModel, "model %d: usage revenue: %v", m.Id, err)
	}
	if err := common.CheckAmountBits("usage revenue", m.Usage.Revenue...); err != nil {
		return errorsmod.Wrapf(ErrInvalidModel, "model %d: %v", m.Id, err)
	}
	return nil
}

// AddRevenue adds fee to a model's revenue total, each denom saturating at
// 2^MaxAmountBits − 1 (common.SatAddCoins): a total, not a balance; every
// fee is below 2^MaxAmountBits, so the sum never reaches the 256 bits past
// which math.Int panics (TestAttackGenesisRevenueOverflowPanicsSettlement).
func (u Usage) AddRevenue(fee sdk.Coins) sdk.Coins {
	return common.SatAddCoins(u.Revenue, fee)
}

// JobFee returns the fee a job over `rows` dataset rows pays for a model:
// fee_per_job + ceil(fee_per_1k_rows × rows / 1000), per denom. The per-row
// part is rounded up, so that a job over fewer than 1000 rows of a model with
// a per-1k-rows fee still pays at least 1 unit of each such denom: rounding
// never makes model use free. An error is returned if an amount overflows
// or passes common.MaxAmountBits.
func JobFee(feePerJob, feePer1kRows sdk.Coins, rows uint64) (sdk.Coins, error) {
	fee := sdk.NewCoins()
	for _, c := range feePerJob {
		if c.Amount.IsPositive() {
			fee = fee.Add(c)
		}
	}
	r := math.NewIntFromUint64(rows)
	thousand := math.NewInt(1000)
	for _, c := range feePer1kRows {
		prod, err := c.Amount.SafeMul(r)
		if err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidFees, "fee_per_1k_rows %s × %d rows overflows: %v", c, rows, err)
		}
		part := prod.Quo(thousand) // rounded up, without adding to prod (which may be 2^256-1)
		if !prod.Mod(thousand).IsZero() {
			part = part.AddRaw(1)
		}
		if part.IsPositive() {
			if _, err := fee.AmountOf(c.Denom).SafeAdd(part); err != nil {
				return nil, errorsmod.Wrapf(ErrInvalidFees, "fee of %s overflows: %v", c.Denom, err)
			}
			fee = fee.Add(sdk.NewCoin(c.Denom, part))
		}
	}
	if err := common.CheckAmountBits("job fee", fee...); err != nil {
		return nil, errorsmod.Wrap(ErrInvalidFees, err.Error())
	}
	return fee, nil
}
