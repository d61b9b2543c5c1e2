package types

// Known reports whether v is a verdict kind this version defines (any value
// of the Verdict enum but UNSPECIFIED). The vote-extension codec accepts
// exactly these, so a kind added to verification.proto is accepted there
// with no other change.
func (v Verdict) Known() bool {
	_, ok := Verdict_name[int32(v)]
	return ok && v != Verdict_VERDICT_UNSPECIFIED
}

// MaxVerdictsPerExtension bounds the verdicts in one validator's vote
// extension (app/ve); a sidecar with more verdicts ready sends a rotating
// subset of this many.
const MaxVerdictsPerExtension = 2048
