// Package workload defines aichain's deterministic compute workloads, their
// inputs and the byte encoding of their outputs, so that a provider's result
// can be re-executed bit for bit by any verifier on any backend.
//
// # Arithmetic rule
//
// Every workload is a sequence of dense layers y = f(x·Wᵀ + b). The rule that
// makes CPU and GPU results identical is:
//
//   - every dot product accumulates in index order, starting from +0.0, in
//     float32: s = 0; for i := 0..in-1 { s = s + round32(x[i]·w[i]) };
//   - each product is rounded to float32 before the add: no fused
//     multiply-add (in Go this is written s += float32(a*b); the explicit
//     conversion forbids fusion);
//   - the bias (when present) is added after the whole sum: s = s + b;
//   - ReLU(v) = v > 0 ? v : +0 (so ReLU(-0) = +0 and ReLU(NaN) = +0);
//   - a NaN result is stored as the canonical quiet NaN 0x7FC00000, because
//     CPUs and GPUs produce different NaN payloads (the NaN-ness itself is
//     deterministic under IEEE 754). Model parsers refuse non-finite
//     weights; a dataset may hold NaN and ±Inf (the chain records its hash
//     and root, not its values), which reach the sums as they are.
//
// Parallel backends may compute many outputs at once, but each single output
// element is always one sequential sum in index order.
//
// # Workloads
//
// gemm-f32 {m, n, k, seed, chunk_rows}: A (m×k) and B (k×n) are generated
// row-major from SplitMix64 streams (A: state = seed; B: state = seed XOR
// 0xD1B54A32D192ED03); each value is float32(int64(x>>40) - 2^23) / 2^23 for
// the next stream output x. C = A·B is a dense layer with W = Bᵀ and no bias.
//
// mlp-f32 {model, dataset, chunk_rows}: each row of a 2-D float32 .npy dataset
// goes through the dense layers of a safetensors model (layers.{i}.weight
// [out,in], layers.{i}.bias [out]), with ReLU between layers and none after
// the last. A job's winner reads the rows as the version's record lays them
// out (dataset.DescribeRecord): the file's last rows·cols·4 bytes, whatever
// its header says, with at most MaxNPYPrefixBytes before them; its values may
// be any float32, NaN and ±Inf included (ParseNPY says why). The chain
// charges a job rows × MLPRowMulAdds (products and MLPOutputMulAdds per
// output) and GPTCallMulAdds per layer per chunk (MLPWork).
//
// # Output encoding and commitment
//
// Output chunk i holds rows [i·chunk_rows, min((i+1)·chunk_rows, rows)) as
// little-endian float32, row-major; there are ceil(rows/chunk_rows) chunks.
// Datasets are chunked the same way (rows_per_chunk), so a dataset's
// content_root is computed by the same code. The chunks are committed with the
// Merkle tree of package workload/merkle (RFC 6962 shape, domain-separated
// leaves carrying their index).
package workload
