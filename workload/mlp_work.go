package workload

// An mlp-f32 job's work as the chain charges it, the same rule as gpt-f32's
// (docs/gpt-f32.md, section 6): its products, the elementwise work of every
// dense output and GPTCallMulAdds for each kernel call. A chunk runs its
// rows through the model one Dense call a layer (Model.Forward), so a model
// of many narrow layers is almost all calls: 1024 layers of width 1 were
// 1024 calls a chunk charged 1024 multiply-adds, a thousandth of what the
// verifiers spent (TestAttackMLPTinyLayersChargedBelowTheirKernelCalls).

// MLPOutputMulAdds is one dense output beyond its products: its bias add,
// ReLU, canonical NaN and store, ≈ 3.4 ns measured for a gpt dense output
// on the CPU backend (docs/gpt-f32.md, section 6), 10–16 multiply-adds at
// its 0.22–0.34 ns each.
const MLPOutputMulAdds = 16

// MaxMLPLayers bounds an mlp-f32 model's layers: one weight tensor each, in
// a safetensors file of at most DefaultLimits().MaxTensors tensors.
const MaxMLPLayers = 1024

// MLPRowMulAdds is one row's charge through layers of these widths (input,
// hidden…, output): Σ in·out + MLPOutputMulAdds·out, saturating; 0 for
// fewer than two widths.
func MLPRowMulAdds(widths []uint64) uint64 {
	var n uint64
	for i := 1; i < len(widths); i++ {
		n = satAdd(n, satAdd(satMul(widths[i-1], widths[i]), satMul(MLPOutputMulAdds, widths[i])))
	}
	return n
}

// MLPLayersBound is the most layers a model whose row is charged rowMulAdds
// (MLPRowMulAdds) can have: each layer charges at least 1 + MLPOutputMulAdds
// a row, and a model has at most MaxMLPLayers. It is exact for a model of
// width-1 layers, the one whose calls cost the most beside its products.
func MLPLayersBound(rowMulAdds uint64) uint64 {
	return min(rowMulAdds/(1+MLPOutputMulAdds), MaxMLPLayers)
}

// MLPWork is the work of rows rows charged rowMulAdds each through a model
// of layers layers, in chunks of chunkRows rows (at least one), with, per
// chunk besides its rows, GPTCallMulAdds per layer and its read of the
// weights: rowMulAdds (their count, and a little more) per
// GPTWeightReadDiv, as a gpt-f32 pass's. A chunk of one row is a
// matrix-vector product a layer, bound by reading the weights rather than
// by its products (BenchmarkMLPWorkPerChargedUnit). It returns the whole
// job's and its largest chunk's (what a verifier spends per sampled chunk),
// both saturating at MaxUint64.
func MLPWork(rowMulAdds, layers, rows, chunkRows uint64) (job, chunk uint64) {
	chunkRows = max(chunkRows, 1)
	perChunk := satAdd(satMul(layers, GPTCallMulAdds), rowMulAdds/GPTWeightReadDiv)
	chunks := rows / chunkRows
	if rows%chunkRows != 0 {
		chunks++
	}
	job = satAdd(satMul(rows, rowMulAdds), satMul(chunks, perChunk))
	chunk = satAdd(satMul(min(chunkRows, rows), rowMulAdds), perChunk)
	return job, chunk
}
