package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

var (
	_ sdk.Msg = &MsgCommitWeights{}
	_ sdk.Msg = &MsgRegisterModel{}
	_ sdk.Msg = &MsgPublishVersion{}
	_ sdk.Msg = &MsgUpdateFees{}
	_ sdk.Msg = &MsgUpdateShares{}
	_ sdk.Msg = &MsgUpdateUri{}
	_ sdk.Msg = &MsgDeprecateModel{}
	_ sdk.Msg = &MsgTransferOwnership{}
	_ sdk.Msg = &MsgAcceptOwnership{}
	_ sdk.Msg = &MsgCancelOwnershipTransfer{}
	_ sdk.Msg = &MsgUpdateParams{}
)

func validateAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return nil
}

func validateModelID(id uint64) error {
	if id == 0 {
		return errorsmod.Wrap(ErrInvalidModel, "model_id must be positive")
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgRegisterModel) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateSpec(m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.Gpt, m.License,
		m.FeePerJob, m.FeePer1kRows, m.Shares); err != nil {
		return err
	}
	if err := ValidateNewURI(m.Uri); err != nil {
		return err
	}
	if err := ValidateNewShares(m.Shares); err != nil {
		return err
	}
	return validateHidden(m.Architecture, m.InputDim, m.OutputDim, m.HiddenDims)
}

// ValidateBasic checks the message statelessly.
func (m *MsgPublishVersion) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateSpec(m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.Gpt, m.License,
		m.FeePerJob, m.FeePer1kRows, m.Shares); err != nil {
		return err
	}
	if err := ValidateNewURI(m.Uri); err != nil {
		return err
	}
	if err := ValidateNewShares(m.Shares); err != nil {
		return err
	}
	return validateHidden(m.Architecture, m.InputDim, m.OutputDim, m.HiddenDims)
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateFees) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateModelID(m.ModelId); err != nil {
		return err
	}
	if err := ValidateFees("fee_per_job", m.FeePerJob); err != nil {
		return err
	}
	return ValidateFees("fee_per_1k_rows", m.FeePer1kRows)
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateShares) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateModelID(m.ModelId); err != nil {
		return err
	}
	return ValidateNewShares(m.Shares)
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateUri) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateModelID(m.ModelId); err != nil {
		return err
	}
	return ValidateNewURI(m.Uri)
}

// ValidateBasic checks the message statelessly.
func (m *MsgDeprecateModel) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	return validateModelID(m.ModelId)
}

// ValidateBasic checks the message statelessly.
func (m *MsgTransferOwnership) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateAddress("new_owner", m.NewOwner); err != nil {
		return err
	}
	if m.Owner == m.NewOwner {
		return errorsmod.Wrap(ErrInvalidAddress, "new_owner is already the owner")
	}
	return validateModelID(m.ModelId)
}

// ValidateBasic checks the message statelessly.
func (m *MsgAcceptOwnership) ValidateBasic() error {
	if err := validateAddress("new_owner", m.NewOwner); err != nil {
		return err
	}
	return validateModelID(m.ModelId)
}

// ValidateBasic checks the message statelessly.
func (m *MsgCancelOwnershipTransfer) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	return validateModelID(m.ModelId)
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ModelSpec is what a registration or a new version describes: the
// immutable model version with its fees and shares.
type ModelSpec struct {
	Name, Version, Architecture, Sha256, Uri string
	InputDim, OutputDim                      uint64
	// Gpt is a gpt-f32 model's config (nil for other architectures).
	Gpt *GptConfig
	// LayerWidths are an mlp-f32 model's (MLPWidths; nil for others).
	LayerWidths             []uint64
	License                 string
	FeePerJob, FeePer1kRows sdk.Coins
	Shares                  []common.Share
}

// Spec returns the model version the message registers.
func (m *MsgRegisterModel) Spec() ModelSpec {
	return ModelSpec{
		Name: m.Name, Version: m.Version, Architecture: m.Architecture, Sha256: m.Sha256, Uri: m.Uri,
		InputDim: m.InputDim, OutputDim: m.OutputDim, Gpt: m.Gpt, License: m.License,
		FeePerJob: m.FeePerJob, FeePer1kRows: m.FeePer1kRows, Shares: m.Shares,
		LayerWidths: specWidths(m.Architecture, m.InputDim, m.HiddenDims, m.OutputDim),
	}
}

// Spec returns the model version the message publishes.
func (m *MsgPublishVersion) Spec() ModelSpec {
	return ModelSpec{
		Name: m.Name, Version: m.Version, Architecture: m.Architecture, Sha256: m.Sha256, Uri: m.Uri,
		InputDim: m.InputDim, OutputDim: m.OutputDim, Gpt: m.Gpt, License: m.License,
		FeePerJob: m.FeePerJob, FeePer1kRows: m.FeePer1kRows, Shares: m.Shares,
		LayerWidths: specWidths(m.Architecture, m.InputDim, m.HiddenDims, m.OutputDim),
	}
}

// specWidths are the layer widths a registration records: an mlp-f32
// model's (MLPWidths), none for another architecture.
func specWidths(architecture string, inputDim uint64, hidden []uint64, outputDim uint64) []uint64 {
	if architecture != ArchitectureMLPF32 {
		return nil
	}
	return MLPWidths(inputDim, hidden, outputDim)
}
