package common

import "math"

// SatAdd is a + b, saturating at the largest uint64 instead of wrapping.
func SatAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// SatMul is a × b, saturating at the largest uint64 instead of wrapping.
func SatMul(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}
