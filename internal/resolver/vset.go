package resolver

import "math/bits"

// vset is a set of one package's versions, as bits over the package's
// version list (oldest first). Every version a requirement can name is one
// the index listed, so a finite bitset is an exact model of a PEP 440
// specifier set, and PubGrub's term algebra (intersection, union,
// complement) becomes word-wise logic instead of interval arithmetic.
type vset []uint64

func words(n int) int { return (n + 63) / 64 }

func emptySet(n int) vset { return make(vset, words(n)) }

func fullSet(n int) vset {
	s := make(vset, words(n))
	for i := range s {
		s[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		s[len(s)-1] = (1 << r) - 1
	}
	return s
}

func single(n, i int) vset {
	s := emptySet(n)
	s.add(i)
	return s
}

func (s vset) add(i int)            { s[i/64] |= 1 << (i % 64) }
func (s vset) has(i int) bool       { return s[i/64]&(1<<(i%64)) != 0 }
func (s vset) and(o vset) vset      { return s.zip(o, func(a, b uint64) uint64 { return a & b }) }
func (s vset) or(o vset) vset       { return s.zip(o, func(a, b uint64) uint64 { return a | b }) }
func (s vset) andNot(o vset) vset   { return s.zip(o, func(a, b uint64) uint64 { return a &^ b }) }
func (s vset) subsetOf(o vset) bool { return s.andNot(o).empty() }

func (s vset) zip(o vset, f func(a, b uint64) uint64) vset {
	out := make(vset, len(s))
	for i := range s {
		out[i] = f(s[i], o[i])
	}
	return out
}

func (s vset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s vset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// highest returns the newest version in the set, -1 when empty.
func (s vset) highest() int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 0 {
			return i*64 + 63 - bits.LeadingZeros64(s[i])
		}
	}
	return -1
}

// members lists the set's indexes, oldest first.
func (s vset) members() []int {
	var out []int
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}
