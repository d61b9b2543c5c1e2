package workload

// SplitMix64 constants.
const (
	// SplitMixGamma is the SplitMix64 increment (the 64-bit golden ratio).
	SplitMixGamma uint64 = 0x9E3779B97F4A7C15
	// GemmBSeedXor is XORed into a gemm seed to obtain B's stream state.
	GemmBSeedXor uint64 = 0xD1B54A32D192ED03
)

// SplitMix64 is the standard SplitMix64 generator (Steele, Lea, Flood 2014).
// The zero value is a generator with state 0.
type SplitMix64 struct {
	State uint64
}

// Next advances the state by SplitMixGamma and returns the mixed output.
func (s *SplitMix64) Next() uint64 {
	s.State += SplitMixGamma
	return splitMixMix(s.State)
}

// SplitMixAt returns output number j (0-based) of the stream that starts at
// state seed, in O(1): after j+1 steps the state is seed + (j+1)·gamma.
func SplitMixAt(seed, j uint64) uint64 {
	return splitMixMix(seed + (j+1)*SplitMixGamma)
}

func splitMixMix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// UnitFloat maps a SplitMix64 output to the gemm input value
// float32(int64(x>>40) - 2^23) / 2^23, a multiple of 2^-23 in [-1, 1).
// Both steps are exact in float32.
func UnitFloat(x uint64) float32 {
	return float32(int64(x>>40)-(1<<23)) / (1 << 23)
}
