package sqlgen

import (
	"context"
	"fmt"
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// embedSQL writes ml_embed's query: every input column plus embedding FLOAT[d] (d from
// the model's declared width; FLOAT[] when the model leaves it open), so the column goes
// straight into array_cosine_similarity or a vss index. ml_infer_embed returns each
// row's vector as a FLOAT list, which the query casts to the array type.
func embedSQL(ctx context.Context, env *core.Env, task *models.Task, keep, args, from string) (string, error) {
	// The array width is the model's, so the model check runs here.
	if err := env.Pool.Check(ctx, task); err != nil {
		return "", core.Wrap(err)
	}
	typ := "FLOAT[]"
	if d := task.OutputWidth(); d > 0 {
		typ = fmt.Sprintf("FLOAT[%d]", d)
	}
	return fmt.Sprintf("SELECT %s, ml_infer_embed(%s)::%s AS %s FROM %s", keep, args, typ, EmbedOutputs[0], from), nil
}

// PackText joins the text options max_length, pooling and normalize with Sep into the
// one VARCHAR argument ml_infer takes for them ("" each when not given).
func PackText(maxLength, pooling, normalize string) string {
	if maxLength == "" && pooling == "" && normalize == "" {
		return ""
	}
	return strings.Join([]string{maxLength, pooling, normalize}, Sep)
}

// UnpackText sets req's text options from PackText's form.
func UnpackText(req *core.Request, v string) {
	if v == "" {
		return
	}
	parts := strings.SplitN(v, Sep, 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	req.MaxLength, req.Pooling, req.Normalize = parts[0], parts[1], parts[2]
}
