package provider

import (
	"reflect"
	"testing"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// TestAdvertisedWorkloads: the agent advertises the kinds of the jobexec
// table its configuration can run, mlp-f32 and gpt-f32 only with a model and dataset
// source.
func TestAdvertisedWorkloads(t *testing.T) {
	if got, want := (Config{}).Workloads(), []string{workload.KindGemm}; !reflect.DeepEqual(got, want) {
		t.Errorf("without a resolver: %v, want %v", got, want)
	}
	withMLP := Config{MLP: jobexec.NewChainResolver(jobexec.ResolverConfig{})}
	if got, want := withMLP.Workloads(), []string{workload.KindGemm, workload.KindGPT, workload.KindMLP}; !reflect.DeepEqual(got, want) {
		t.Errorf("with a resolver: %v, want %v", got, want)
	}
	for _, kind := range withMLP.Workloads() {
		if _, ok := jobexec.Lookup(kind); !ok {
			t.Errorf("advertised %q is not in the table", kind)
		}
	}
}

// TestServedOfRecords: a record serves the kind it recorded; one without a
// kind is a gemm job.
func TestServedOfRecords(t *testing.T) {
	if s := (&Record{}).served(); s.Kind != workload.KindGemm {
		t.Errorf("record without a kind served as %q", s.Kind)
	}
	if s := (&Record{Kind: workload.KindMLP, DatasetID: 5, ChunkRows: 6}).served(); s.Kind != workload.KindMLP || s.DatasetID != 5 || s.ChunkRows != 6 {
		t.Errorf("mlp record served as %+v", s)
	}
}
