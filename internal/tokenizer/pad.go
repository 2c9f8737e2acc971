package tokenizer

// Pad lays encodings out as the row-major [len(encs), width] int64 tensors a model
// takes — input_ids, token_type_ids and attention_mask — padded on the right with
// padID (mask 0) to the longest; width is that longest length.
func Pad(encs []Encoding, padID int64) (ids, typeIDs, mask []int64, width int) {
	for _, e := range encs {
		width = max(width, len(e.IDs))
	}
	n := len(encs) * width
	ids, typeIDs, mask = make([]int64, n), make([]int64, n), make([]int64, n)
	for r, e := range encs {
		row := r * width
		for j, id := range e.IDs {
			ids[row+j] = int64(id)
			typeIDs[row+j] = int64(e.TypeIDs[j])
			mask[row+j] = 1
		}
		for j := len(e.IDs); j < width; j++ {
			ids[row+j] = padID
		}
	}
	return ids, typeIDs, mask, width
}
