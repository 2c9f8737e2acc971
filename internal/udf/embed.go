package udf

import (
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// ml_embed(task, input, ...) is ml_predict's query for a text embedder: every input
// column plus embedding FLOAT[d] (d from the model's declared width; FLOAT[] when the
// model leaves it open), so the column goes straight into array_cosine_similarity or
// a vss index. ml_infer_embed returns each row's vector as a FLOAT list, which the
// query casts to the array type.

// embedSQL writes ml_embed's query.
func embedSQL(env *Env, task *models.Task, keep, args, from string) (string, error) {
	// The array width is the model's, so the model check runs here.
	if err := env.Pool.Check(task); err != nil {
		return "", core.Wrap(err)
	}
	typ := "FLOAT[]"
	if d := task.OutputWidth(); d > 0 {
		typ = fmt.Sprintf("FLOAT[%d]", d)
	}
	return fmt.Sprintf("SELECT %s, ml_infer_embed(%s)::%s AS %s FROM %s", keep, args, typ, embedOutputs[0], from), nil
}

// The text options reach ml_infer as one VARCHAR: max_length, pooling and normalize
// joined by Sep ("" each when not given).
func packText(maxLength, pooling, normalize string) string {
	if maxLength == "" && pooling == "" && normalize == "" {
		return ""
	}
	return strings.Join([]string{maxLength, pooling, normalize}, Sep)
}

func unpackText(req *core.Request, v string) {
	if v == "" {
		return
	}
	parts := strings.SplitN(v, Sep, 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	req.MaxLength, req.Pooling, req.Normalize = parts[0], parts[1], parts[2]
}

// writeEmbeddings sets each row's embedding, or NULL.
func writeEmbeddings(st *duckdb.ChunkIteratorState, ch *core.Chunk) error {
	out := ch.Output().(*models.EmbedData)
	r := 0
	for row, err := range st.Rows() {
		if err != nil {
			return core.Wrap(err)
		}
		var v any
		if i := ch.Result(r); i >= 0 {
			v = append([]float32(nil), out.Row(i)...)
		}
		if err := row.SetResult(v); err != nil {
			return core.Wrap(err)
		}
		r++
	}
	return nil
}
