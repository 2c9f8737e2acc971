package extension

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// embedArray is ml_embed's embedding column in Arrow: a fixed-size list of d float32
// per row (DuckDB's FLOAT[d]), or a list when the model leaves d open; NULL where a row
// has no result.
func embedArray(out *models.EmbedData, d int, ch *core.Chunk, n int, mem memory.Allocator) (arrow.Array, arrow.DataType) {
	var b array.ListLikeBuilder
	var typ arrow.DataType
	if d > 0 {
		typ = arrow.FixedSizeListOf(int32(d), arrow.PrimitiveTypes.Float32)
		b = array.NewFixedSizeListBuilder(mem, int32(d), arrow.PrimitiveTypes.Float32)
	} else {
		typ = arrow.ListOf(arrow.PrimitiveTypes.Float32)
		b = array.NewListBuilder(mem, arrow.PrimitiveTypes.Float32)
	}
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float32Builder)
	for r := range n {
		i := ch.Result(r)
		if i < 0 {
			b.AppendNull()
			continue
		}
		b.Append(true)
		vb.AppendValues(out.Row(i), nil)
	}
	return b.NewArray(), typ
}
