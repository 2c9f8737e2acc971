package udf

import (
	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// ml_embed(task, input, ...) is ml_predict's query for a text embedder (written by
// internal/sqlgen): every input column plus embedding FLOAT[d]. ml_infer_embed returns each
// row's vector as a FLOAT list, which the query casts to the array type.

// writeEmbeddings sets each row's embedding, or NULL.
func writeEmbeddings(st *duckdb.ChunkIteratorState, ch *core.Chunk) error {
	out := ch.Output().(*models.EmbedData)
	return setRows(st, ch, func(i int) any {
		return out.Row(i) // SetResult copies it into the vector now
	})
}
