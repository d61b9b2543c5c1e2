package cmd

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/client/v2/autocli/flag"

	"github.com/cosmos/cosmos-sdk/client"
	sdkflags "github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute"
)

// enhanceRootCommand adds the modules' autocli commands, as autocli's own
// EnhanceRootCommand does, with one more flag type: every revenue share
// (aichain.common.v1.Share, in any module's message) is written
// ADDRESS:WEIGHT on the command line, the same syntax everywhere; and
// create-job gains --assurance-samples and --assurance-full.
//
// Descriptors come from cliFiles, not gogoproto's HybridResolver: that one
// holds the descriptors gogoproto built as each file registered, where a
// type of a file registered later is a placeholder, so a query printed an
// enum of another file as a number ("verdict": 1; TestFullAssuranceEndToEnd
// reads it by name).
func enhanceRootCommand(rootCmd *cobra.Command, opts autocli.AppOptions) error {
	files := cliFiles()
	builder := &autocli.Builder{
		Builder: flag.Builder{
			TypeResolver:          protoregistry.GlobalTypes,
			FileResolver:          files,
			AddressCodec:          opts.AddressCodec,
			ValidatorAddressCodec: opts.ValidatorAddressCodec,
			ConsensusAddressCodec: opts.ConsensusAddressCodec,
		},
		GetClientConn: func(cmd *cobra.Command) (grpc.ClientConnInterface, error) {
			return client.GetClientQueryContext(cmd)
		},
		AddQueryConnFlags: func(c *cobra.Command) {
			sdkflags.AddQueryFlagsToCmd(c)
			sdkflags.AddKeyringFlags(c.Flags())
		},
		AddTxConnFlags: sdkflags.AddTxFlagsToCmd,
	}
	desc, err := files.FindDescriptorByName(shareName)
	if err != nil {
		return fmt.Errorf("%s: %w", shareName, err)
	}
	md, ok := desc.(protoreflect.MessageDescriptor)
	if !ok {
		return fmt.Errorf("%s is not a message", shareName)
	}
	builder.DefineMessageFlagType(shareName, shareType{desc: md})
	if err := opts.EnhanceRootCommandWithBuilder(rootCmd, builder); err != nil {
		return err
	}
	if err := compute.AddAssuranceFlags(rootCmd); err != nil {
		return err
	}
	return compute.SimulateCreateJobGas(rootCmd, os.ReadFile)
}

const shareName protoreflect.FullName = "aichain.common.v1.Share"

// shareType is the flag type of a Share: ADDRESS:WEIGHT.
type shareType struct {
	desc protoreflect.MessageDescriptor
}

// NewValue resolves the Share type as autocli resolves the message that
// holds it (the builder's TypeResolver: the generated type of api/, else a
// dynamic one), so that the share fits that message's list.
func (t shareType) NewValue(_ *context.Context, b *flag.Builder) flag.Value {
	mt, err := b.TypeResolver.FindMessageByName(t.desc.FullName())
	if err != nil {
		mt = dynamicpb.NewMessageType(t.desc)
	}
	return &shareValue{typ: mt}
}

func (shareType) DefaultValue() string { return "" }

type shareValue struct {
	typ   protoreflect.MessageType
	share *common.Share
}

func (v *shareValue) Set(s string) error {
	share, err := common.ParseShare(s)
	if err != nil {
		return err
	}
	v.share = &share
	return nil
}

func (v *shareValue) String() string {
	if v.share == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", v.share.Address, v.share.Weight)
}

func (*shareValue) Type() string { return "ADDRESS:WEIGHT" }

// Get returns the share as a message of the resolved type.
func (v *shareValue) Get(protoreflect.Value) (protoreflect.Value, error) {
	if v.share == nil {
		return protoreflect.Value{}, nil
	}
	m := v.typ.New()
	fields := m.Descriptor().Fields()
	m.Set(fields.ByName("address"), protoreflect.ValueOfString(v.share.Address))
	m.Set(fields.ByName("weight"), protoreflect.ValueOfUint32(v.share.Weight))
	return protoreflect.ValueOfMessage(m), nil
}
