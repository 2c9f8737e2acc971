package tokenizer

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// unicodeForm is the NFC, NFD, NFKC or NFKD normalizer. Go's norm package does the work,
// but its result differs from the reference's (Rust's unicode-normalization) in two
// cases, which exact redoes:
//   - norm composes a pair by the low 16 bits of each character, so a character above
//     U+FFFF composes as a BMP one: U+E0041 U+0301 becomes "Á" (the reference leaves it).
//   - norm follows the Stream-Safe Text Format: after 30 non-starters it inserts U+034F
//     and puts each side in canonical order on its own; the reference orders the run
//     whole and inserts nothing.
type unicodeForm struct{ f norm.Form }

// graphemeJoiner is U+034F, which norm inserts into a run of more than 30 non-starters.
const graphemeJoiner = "\u034f"

func (u unicodeForm) normalize(s string) string {
	out := u.f.String(s)
	if strings.Contains(out, graphemeJoiner) && strings.Count(out, graphemeJoiner) != strings.Count(s, graphemeJoiner) ||
		(u.f == norm.NFC || u.f == norm.NFKC) && mayComposeAboveBMP(u.f, s) {
		return u.exact(s)
	}
	return out
}

func (u unicodeForm) normalizeLead(s string, lead int) (string, int) { return localLead(u, s, lead) }

// mayComposeAboveBMP tells whether norm's composition might take a character above
// U+FFFF in s: one that decomposes or combines itself, or one followed by a character
// that combines with what comes before it. Emoji and their modifiers are neither.
func mayComposeAboveBMP(f norm.Form, s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0xf0 {
			continue
		}
		p := f.PropertiesString(s[i:])
		if p.Decomposition() != nil || !p.BoundaryBefore() {
			return true
		}
		if next := i + int(p.Size()); next < len(s) {
			q := f.PropertiesString(s[next:])
			if !q.BoundaryBefore() {
				return true
			}
		}
	}
	return false
}

// exact normalizes s as the reference does: each character decomposed on its own,
// each run of non-starters put in canonical order whole (a stable sort by combining
// class), and for NFC and NFKC the result composed pair by pair. Bytes that are not
// UTF-8 pass as they are, as in norm.
func (u unicodeForm) exact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		n := 0 // the valid UTF-8 prefix
		for n < len(s) {
			r, size := utf8.DecodeRuneInString(s[n:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			n += size
		}
		for _, r := range u.exactRunes(s[:n]) {
			b.WriteRune(r)
		}
		if n < len(s) {
			b.WriteByte(s[n])
			n++
		}
		s = s[n:]
	}
	return b.String()
}

func (u unicodeForm) exactRunes(s string) []rune {
	dec, compose := norm.NFD, false
	switch u.f {
	case norm.NFC:
		compose = true
	case norm.NFKC:
		dec, compose = norm.NFKD, true
	case norm.NFKD:
		dec = norm.NFKD
	}
	rs := make([]rune, 0, len(s))
	for i, r := range s {
		// One character never decomposes into more than 30 non-starters.
		rs = append(rs, []rune(dec.String(s[i:i+utf8.RuneLen(r)]))...)
	}
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && combiningClass(rs[j]) != 0 {
			j++
		}
		if j > i {
			slices.SortStableFunc(rs[i:j], func(a, b rune) int { return int(combiningClass(a)) - int(combiningClass(b)) })
			i = j
		} else {
			i++
		}
	}
	if !compose {
		return rs
	}
	// Canonical composition (UAX #15): a character joins the last starter unless a
	// character between them is a starter or has a class as high as its own.
	out, starter := rs[:0], -1
	for _, c := range rs {
		cc := combiningClass(c)
		if starter >= 0 && (starter == len(out)-1 || combiningClass(out[len(out)-1]) < cc) {
			if p, ok := composePair(out[starter], c); ok {
				out[starter] = p
				continue
			}
		}
		if cc == 0 {
			starter = len(out)
		}
		out = append(out, c)
	}
	return out
}

func combiningClass(r rune) uint8 {
	var buf [utf8.UTFMax]byte
	return norm.NFD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).CCC()
}

// composePair is the primary composite of a and b, if they have one: norm's, kept only
// when it decomposes back to a and b (norm pairs characters by their low 16 bits).
func composePair(a, b rune) (rune, bool) {
	pair := string([]rune{a, b})
	c, size := utf8.DecodeRuneInString(norm.NFC.String(pair))
	if size == len(norm.NFC.String(pair)) && c != a && norm.NFD.String(string(c)) == norm.NFD.String(pair) {
		return c, true
	}
	return 0, false
}
