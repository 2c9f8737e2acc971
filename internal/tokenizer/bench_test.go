package tokenizer

import "testing"

// BenchmarkEncode tokenizes the 3,000 UCI sentences per iteration on one goroutine;
// sentences/s = 3000 / (ns/op / 1e9). The bar: WordPiece >= 100k sentences/s.
func BenchmarkEncode(b *testing.B) {
	texts := corpus(b)[:3000]
	for _, fam := range families {
		b.Run(fam, func(b *testing.B) {
			tok := loadTokenizer(b, fam)
			var e Encoding
			for b.Loop() {
				for _, s := range texts {
					e.IDs, e.TypeIDs = e.IDs[:0], e.TypeIDs[:0]
					tok.Encode(&e, s, 512)
				}
			}
			b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}
