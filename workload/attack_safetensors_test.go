package workload

import (
	"testing"
)

// TestAttackSafetensorsCaseFoldedKeysSwapWeights: a hostile model owner
// writes a safetensors header in which each tensor entry carries its
// data_offsets twice, under "data_offsets" and under a case variant
// ("DATA_OFFSETS"). ParseSafetensors' policy says duplicate JSON keys and
// unknown fields are refused, but the duplicate check compares keys
// byte for byte while encoding/json matches struct fields
// case-insensitively, last one wins. So aichain's parser reads each tensor
// at the case variant's offsets while every spec-conforming reader
// (safetensors' own, case-sensitive, ignoring the unknown key; or the
// independent implementations docs/gpt-f32.md invites) reads it at
// "data_offsets". Here the two layers' weights swap: both readers accept
// the file, with the same sha256 on chain, and compute different outputs,
// so an honest verifier using a conforming implementation and an honest
// provider on aichain's code disagree on every chunk (one of them is
// slashed, or every verdict is inconclusive) — at the model owner's choice.
// Now a tensor entry's keys are matched byte for byte (decodeTensorInfo):
// any key but dtype, shape and data_offsets is refused.
func TestAttackSafetensorsCaseFoldedKeysSwapWeights(t *testing.T) {
	// Layer 0: 1→1 weight 2.0 at bytes [0,4); layer 1: 1→1 weight 3.0 at [4,8).
	// The case-variant keys point each at the other's bytes.
	hdr := `{"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4],"DATA_OFFSETS":[4,8]},` +
		`"layers.1.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8],"DATA_OFFSETS":[0,4]}}`
	buf := EncodeFloats([]float32{2, 3})
	file := stFile(hdr, buf)
	m, err := ParseSafetensors(file, SHA256Hex(file), Limits{})
	if err == nil {
		t.Fatalf("a header with each tensor's data_offsets given twice (\"data_offsets\", \"DATA_OFFSETS\") was accepted: layer 0 weight %v, layer 1 weight %v, where a case-sensitive reader sees [2] and [3]; want it refused as a duplicate key",
			m.Layers[0].Weight, m.Layers[1].Weight)
	}
}

// TestAttackSafetensorsCaseFoldedDTypeAccepted: the same flaw with the
// dtype: {"dtype":"F16", "DType":"F32"} is F16 to a case-sensitive reader
// (refused by the spec: every tensor F32) and F32 to aichain's.
func TestAttackSafetensorsCaseFoldedDTypeAccepted(t *testing.T) {
	hdr := `{"layers.0.weight":{"dtype":"F16","DType":"F32","shape":[1,1],"data_offsets":[0,4]}}`
	file := stFile(hdr, EncodeFloats([]float32{2}))
	if _, err := ParseSafetensors(file, SHA256Hex(file), Limits{}); err == nil {
		t.Fatalf("a tensor whose \"dtype\" is F16 (with a case-variant \"DType\":\"F32\") was accepted; want it refused")
	}
}
