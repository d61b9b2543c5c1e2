package types_test

import (
	"bytes"
	"testing"

	"github.com/aichain/aichain/workload"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/encoding/protojson"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/aichain/aichain/x/compute/types"
)

// FuzzWorkloadSpecJSON decodes a create-job workload argument the way the
// CLI does (protojson into the proto descriptor, then the binary encoding the
// chain decodes) and the way the SDK's JSON codec does: neither may panic, a
// spec both read must be the same spec, and a spec Validate accepts must have
// a chunk count.
func FuzzWorkloadSpecJSON(f *testing.F) {
	for _, s := range []string{
		`{"kind":"gemm-f32","gemm":{"m":"10","n":"4","k":"4","seed":"7"},"chunk_rows":"4"}`,
		`{"kind":"gemm-f32","gemm":{"m":10,"n":4,"k":4},"chunkRows":4}`,
		`{"kind":"mlp-f32","mlp":{"model_id":"1","dataset_id":"2"},"chunk_rows":"16"}`,
		`{"kind":"gemm-f32","gemm":{"m":"4294967296","n":"1","k":"1"},"chunk_rows":"1"}`,
		`{"kind":"gemm-f32","gemm":null,"mlp":{},"chunk_rows":"-1"}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	desc, err := gogoproto.HybridResolver.FindDescriptorByName("aichain.compute.v1.WorkloadSpec")
	if err != nil {
		f.Fatal(err)
	}
	md := desc.(protoreflect.MessageDescriptor)
	f.Fuzz(func(t *testing.T, js []byte) {
		var viaCodec types.WorkloadSpec
		codecErr := fuzzCodec.UnmarshalJSON(js, &viaCodec)

		dm := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal(js, dm); err != nil {
			return
		}
		bz, err := protov2.MarshalOptions{Deterministic: true}.Marshal(dm)
		if err != nil {
			t.Fatalf("protojson-decoded spec does not encode: %v", err)
		}
		var spec types.WorkloadSpec
		if err := spec.Unmarshal(bz); err != nil {
			t.Fatalf("the chain cannot decode the CLI's encoding %x: %v", bz, err)
		}
		gbz, err := spec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gbz, bz) {
			t.Fatalf("gogoproto re-encodes %x as %x", bz, gbz)
		}
		if codecErr == nil {
			cbz, err := viaCodec.Marshal()
			if err != nil || !bytes.Equal(cbz, gbz) {
				t.Fatalf("JSON codecs disagree: %+v vs %+v (%v)", viaCodec, spec, err)
			}
		}
		rows, err := spec.Validate()
		if err != nil {
			return
		}
		if spec.ChunkRows == 0 {
			t.Fatalf("chunk_rows 0 accepted: %+v", spec)
		}
		if spec.Kind == workload.KindGemm {
			if n, err := types.ChunkCountFor(rows, spec.ChunkRows); err != nil || n == 0 || rows != spec.Gemm.M {
				t.Fatalf("accepted %+v has rows %d, chunk count %d (%v)", spec, rows, n, err)
			}
		}
	})
}
