package workload

import "math"

// The scalar functions of gpt-f32 (docs/gpt-f32.md, section "Functions"),
// each a fixed sequence of IEEE 754 binary32 operations with
// round-to-nearest-even: +, −, ×, ÷ and √ correctly rounded, comparisons,
// floor, and exact bit manipulations. Go rounds every float32 operation to
// float32; each product that feeds an add is written float32(a*b), the
// explicit conversion that forbids fusing it into an FMA. No libm.

// Constants of the functions, as float32 (their bit patterns are listed in
// the specification).
const (
	// expHi and expLo bound Exp32's computed range: above expHi the result
	// is +Inf, below expLo it is +0.
	expHi float32 = 88
	expLo float32 = -87
	// log2e is log2(e) rounded to float32.
	log2e float32 = 1.44269504088896340736
	// ln2Hi + ln2Lo ≈ ln 2 (Cody–Waite): ln2Hi has 9 significant bits, so
	// k·ln2Hi is exact for |k| ≤ 2^15.
	ln2Hi float32 = 0.693359375
	ln2Lo float32 = -2.12194440e-4
	// tanhSat: |u| ≥ tanhSat gives tanh(u) = ±1.
	tanhSat float32 = 9
	// geluC is sqrt(2/π) and geluK 0.044715, rounded to float32.
	geluC float32 = 0.7978845608028654
	geluK float32 = 0.044715
	// LayerNormEps is GPT-2's layer-norm epsilon, 1e-5 rounded to float32.
	LayerNormEps float32 = 1e-5
)

// expPoly are the coefficients c0..c7 of Exp32's polynomial, 1/n! rounded to
// float32 (Taylor series of e^r; |r| ≤ 0.3467 keeps the truncation error
// below 2^-27).
var expPoly = [8]float32{1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040}

// canonicalNaN is the float32 stored for every NaN result.
var canonicalNaN = math.Float32frombits(CanonicalNaN)

// Exp32 is gpt-f32's e^x:
//
//	NaN → canonical NaN; x > 88 → +Inf; x < −87 → +0; otherwise
//	k = floor(x·log2e + 0.5)            (two roundings, then an exact floor)
//	r = (x − k·ln2Hi) − k·ln2Lo         (k·ln2Hi exact)
//	p = c7; p = p·r + c_n for n = 6..0   (Horner, each · and + rounded)
//	e^x = p · 2^k                        (2^k built from its bits; k ∈ [−126, 127])
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return canonicalNaN
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	t := float32(x * log2e)
	k := floor32(t + 0.5)
	r := x - float32(k*ln2Hi)
	r = r - float32(k*ln2Lo)
	p := expPoly[7]
	for n := 6; n >= 0; n-- {
		p = float32(p*r) + expPoly[n]
	}
	return float32(p * pow2(int32(k)))
}

// Tanh32 is gpt-f32's tanh(u), from Exp32:
//
//	a = |u|; NaN → canonical NaN; a ≥ 9 → t = 1; otherwise
//	t = 1 − 2 / (Exp32(a + a) + 1)
//	tanh(u) = u < 0 ? −t : t
func Tanh32(u float32) float32 {
	a := abs32(u)
	if a != a {
		return canonicalNaN
	}
	t := float32(1)
	if a < tanhSat {
		e := Exp32(a + a)
		t = 1 - 2/(e+1)
	}
	if u < 0 {
		return -t
	}
	return t
}

// GELU32 is GPT-2's GELU in its tanh form, in this order:
//
//	x3 = (x·x)·x
//	u  = geluC · (x + geluK·x3)
//	g  = (0.5·x) · (1 + Tanh32(u))
func GELU32(x float32) float32 {
	x3 := float32(float32(x*x) * x)
	u := float32(geluC * (x + float32(geluK*x3)))
	return float32(float32(0.5*x) * (1 + Tanh32(u)))
}

// LayerNorm32 normalises one row x into y (len(y) = len(x) = len(g) = len(b)
// = n):
//
//	s = Σ x[i] (in index order from +0);  μ = s / n
//	q = Σ (x[i] − μ)·(x[i] − μ);          σ² = q / n
//	ρ = 1 / √(σ² + eps)
//	y[i] = ((x[i] − μ)·ρ)·g[i] + b[i]
func LayerNorm32(x, g, b, y []float32) {
	n := float32(len(x))
	var s float32
	for _, v := range x {
		s += v
	}
	mean := s / n
	var q float32
	for _, v := range x {
		d := v - mean
		q += float32(d * d)
	}
	rstd := 1 / sqrt32(q/n+LayerNormEps)
	g, b, y = g[:len(x)], b[:len(x)], y[:len(x)]
	for i, v := range x {
		y[i] = float32(float32((v-mean)*rstd)*g[i]) + b[i]
	}
}

// AttentionScale is the attention scale of heads of headDim values:
// 1 / √headDim, both operations rounded (0.125 for GPT-2's 64).
func AttentionScale(headDim int) float32 {
	return 1 / sqrt32(float32(headDim))
}

// AttendHead computes one head's attention output for one query position
// over n cached positions:
//
//	s[j] = (Σ_d q[d]·k_j[d]) · scale           for j = 0..n−1
//	m    = s[0]; m = s[j] if s[j] > m          (j = 1..n−1, in order)
//	e[j] = Exp32(s[j] − m);  z = Σ_j e[j]      (in order)
//	p[j] = e[j] / z
//	out[d] = Σ_j p[j]·v_j[d]                    (in order, from +0)
//
// k_j and v_j are keys[j·stride : j·stride+len(q)] (and vals likewise);
// scratch holds at least n values.
func AttendHead(q, keys, vals []float32, n, stride int, scale float32, scratch, out []float32) {
	d := len(q)
	s := scratch[:n]
	for j := range s {
		s[j] = float32(dot(q, keys[j*stride:j*stride+d]) * scale)
	}
	m := s[0]
	for _, v := range s[1:] {
		if v > m {
			m = v
		}
	}
	var z float32
	for j, v := range s {
		s[j] = Exp32(v - m)
		z += s[j]
	}
	for j := range s {
		s[j] /= z
	}
	// Position by position over all d sums at once: each out[i] still adds
	// its terms in j order from +0 (the same bits), but the d sums are
	// independent and each v_j is read whole. One sum at a time, a chain of
	// n dependent adds reading one value every stride floats (4 KiB at
	// embed 1024, every read in one cache set), cost ~15× a gemm's time per
	// charged multiply-add (TestAttackLongContextAttentionOutrunsItsCharge).
	o := out[:d]
	clear(o)
	for j, p := range s {
		v := vals[j*stride : j*stride+d]
		for i := range o {
			o[i] += float32(p * v[i])
		}
	}
}

// Argmax returns the index of the largest value, the lowest index among
// equal ones: best = 0, then best = i whenever v[i] > v[best] (a NaN never
// wins a comparison; +0 and −0 tie).
func Argmax(v []float32) int {
	if len(v) == 0 {
		return 0
	}
	best, top := 0, v[0] // top is v[best], held rather than reloaded
	for i, x := range v[1:] {
		if x > top {
			best, top = i+1, x
		}
	}
	return best
}

// Canonical returns v, or the canonical NaN if v is a NaN.
func Canonical(v float32) float32 {
	if v != v {
		return canonicalNaN
	}
	return v
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func floor32(x float32) float32 { return float32(math.Floor(float64(x))) }

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// pow2 returns 2^k for k in [−126, 127], built from its bits.
func pow2(k int32) float32 { return math.Float32frombits(uint32(k+127) << 23) }
