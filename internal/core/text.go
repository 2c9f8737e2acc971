package core

import (
	"strings"

	"github.com/duckinfer/duckinfer/internal/models"
)

// TextOptions are a call's overrides for text tasks: max_length (tokens per text),
// and for embed tasks pooling ('mean' or 'cls') and normalize (L2).
type TextOptions struct {
	MaxLength int
	Pooling   string
	Normalize *bool
}

// bindText checks the text options of req against the task; errors name them as n does.
func bindText(task *models.Task, req Request, n Names) (TextOptions, error) {
	var o TextOptions
	text := task.Tokenizer() != nil
	if v := strings.TrimSpace(req.MaxLength); v != "" {
		if !text {
			return o, ArgErrorf("%s is for tasks that tokenize text; task %q takes %s", n.MaxLength, task.Name, strings.Join(task.Config.Columns(), ", "))
		}
		// At least one token of the text besides the special tokens.
		least := task.Tokenizer().SpecialTokens() + 1
		m, err := intOption(n.MaxLength, v, least, 1<<20)
		if err != nil {
			return o, err
		}
		// Past the model's positions, the model itself would fail every long text
		// with an index error from deep inside the runtime.
		if p := task.MaxPositions(); p > 0 && m > p {
			return o, ArgErrorf("%s %d is more than task %q's model takes: its position embeddings (max_position_embeddings in config.json) hold %d tokens; use at most %d", n.MaxLength, m, task.Name, p, p)
		}
		o.MaxLength = m
	}
	if v := strings.TrimSpace(req.Pooling); v != "" {
		if task.Config.Kind != models.OutputEmbed {
			return o, ArgErrorf("%s is for embed tasks (ml_embed); task %q is a %s task", n.Pooling, task.Name, task.Config.Kind)
		}
		switch p := strings.ToLower(v); p {
		case models.PoolingMean, models.PoolingCLS:
			o.Pooling = p
		default:
			return o, ArgErrorf("%s %q is not one of 'mean', 'cls'", n.Pooling, v)
		}
	}
	if v := strings.TrimSpace(req.Normalize); v != "" {
		if task.Config.Kind != models.OutputEmbed {
			return o, ArgErrorf("%s is for embed tasks (ml_embed); task %q is a %s task", n.Normalize, task.Name, task.Config.Kind)
		}
		switch strings.ToLower(v) {
		case "true":
			t := true
			o.Normalize = &t
		case "false":
			f := false
			o.Normalize = &f
		default:
			return o, ArgErrorf("%s must be true or false, got %q", n.Normalize, v)
		}
	}
	return o, nil
}

// applyText sets a new chunk's text options.
func (o TextOptions) apply(inputs []models.InputData, out models.OutputData) {
	for _, in := range inputs {
		if td, ok := in.(*models.TextData); ok && o.MaxLength > 0 {
			td.SetMaxLength(o.MaxLength)
		}
	}
	if e, ok := out.(*models.EmbedData); ok {
		e.SetPooling(o.Pooling, o.Normalize)
	}
}

// bucket sorts the model rows of a text chunk by token count, when its input does so
// (models.PaddingBucket), and reorders the row map with them, so each batch is padded
// to its own longest row and every result still reaches its chunk row.
func (ch *Chunk) bucket() {
	if len(ch.inputs) != 1 {
		return
	}
	td, ok := ch.inputs[0].(*models.TextData)
	if !ok {
		return
	}
	perm := td.SortByLength()
	if perm == nil {
		return
	}
	ch.perm = grow(ch.perm, len(perm))
	for b, r := range perm {
		ch.perm[b] = ch.rows[r]
	}
	copy(ch.rows, ch.perm)
}

// batchEnd is the end of the batch of model rows starting at lo: batch rows later, or
// where a text input cuts it (models.TextData.BatchEnd: rows sorted by length are cut
// before a row over twice the batch's first length).
func (ch *Chunk) batchEnd(lo, batch, m int) int {
	if len(ch.inputs) == 1 {
		if td, ok := ch.inputs[0].(*models.TextData); ok {
			return td.BatchEnd(lo, batch)
		}
	}
	return min(lo+batch, m)
}
