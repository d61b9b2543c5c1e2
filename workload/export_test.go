package workload

// RefGemmBT is the serial reference generator of Bᵀ, for the external
// tests and benchmarks.
var RefGemmBT = refGemmBT
