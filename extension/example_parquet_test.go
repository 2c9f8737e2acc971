package extension_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/duckinfer/duckinfer/extension"
)

// A Go pipeline without SQL, the seed's predict_map without Spark: read record batches
// from a Parquet file with arrow-go, run the pre-processor over each batch in Go, the
// task with Predict (the inference core, models and device slots ml_predict uses), then
// the post-processor, dropping the rows it returns nil for, and write the predictions
// to another Parquet file. normalize and action are the functions ExampleWithFuncs
// registers for SQL.
func ExampleConnector_Predict() {
	ctx := context.Background()
	c, err := extension.NewConnector("")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	dir, err := os.MkdirTemp("", "duckinfer-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "events.parquet"), filepath.Join(dir, "actions.parquet")
	writeEvents(in)

	f, err := file.OpenParquetFile(in, false)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	pr, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{BatchSize: 2}, memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	batches, err := pr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer batches.Release()
	sink, err := os.Create(out)
	if err != nil {
		log.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(actionSchema, sink, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for batches.Next() {
		n++
		pre, err := preprocess(batches.RecordBatch()) // id, text
		if err != nil {
			log.Fatal(err)
		}
		scored, err := c.Predict(ctx, "sentiment", pre, extension.RecordOptions{}, memory.DefaultAllocator)
		pre.Release()
		if err != nil {
			log.Fatal(err)
		}
		post, err := postprocess(scored) // id, text, predicted_class, action; fewer rows
		scored.Release()
		if err != nil {
			log.Fatal(err)
		}
		err = w.Write(post)
		post.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := batches.Err(); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // closes sink too
		log.Fatal(err)
	}
	fmt.Println("batches:", n)
	printActions(out)
	// Output:
	// batches: 3
	// 1 "absolutely love it, works perfectly"    positive send thank-you
	// 2 "broke after two days, very disappointed" negative call customer
	// 5 "the worst customer service ever"        negative call customer
}

var actionSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "text", Type: arrow.BinaryTypes.String},
	{Name: "predicted_class", Type: arrow.BinaryTypes.String},
	{Name: "action", Type: arrow.BinaryTypes.String},
}, nil)

// preprocess runs normalize over a batch's body column into the text column the
// sentiment task reads, and keeps the English rows: the pipeline's row pre-processor.
func preprocess(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	ids := rec.Column(0).(*array.Int64)
	langs := rec.Column(1).(*array.String)
	bodies := rec.Column(2).(*array.String)
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "text", Type: arrow.BinaryTypes.String},
	}, nil))
	defer b.Release()
	for r := range int(rec.NumRows()) {
		if langs.Value(r) != "en" {
			continue
		}
		text, err := normalize(bodies.Value(r))
		if err != nil {
			return nil, err
		}
		b.Field(0).(*array.Int64Builder).Append(ids.Value(r))
		b.Field(1).(*array.StringBuilder).Append(text)
	}
	return b.NewRecordBatch(), nil
}

// postprocess runs action over Predict's output and keeps the rows it returns an
// action for: the pipeline's row post-processor. Predict's columns are the input's,
// then predicted_class and confidence, as ml_predict's.
func postprocess(scored arrow.RecordBatch) (arrow.RecordBatch, error) {
	col := func(name string) arrow.Array { return scored.Column(scored.Schema().FieldIndices(name)[0]) }
	ids, texts := col("id").(*array.Int64), col("text").(*array.String)
	classes, confs := col("predicted_class").(*array.String), col("confidence").(*array.String)
	b := array.NewRecordBuilder(memory.DefaultAllocator, actionSchema)
	defer b.Release()
	for r := range int(scored.NumRows()) {
		if classes.IsNull(r) {
			continue
		}
		var conf float64
		if _, err := fmt.Sscan(confs.Value(r), &conf); err != nil {
			return nil, err
		}
		act, err := action(classes.Value(r), conf)
		if err != nil {
			return nil, err
		}
		if act == nil {
			continue // nothing to do: drop the row
		}
		b.Field(0).(*array.Int64Builder).Append(ids.Value(r))
		b.Field(1).(*array.StringBuilder).Append(texts.Value(r))
		b.Field(2).(*array.StringBuilder).Append(classes.Value(r))
		b.Field(3).(*array.StringBuilder).Append(*act)
	}
	return b.NewRecordBatch(), nil
}

// writeEvents writes the Parquet file the example reads: the rows ExampleWithFuncs
// puts in its events table.
func writeEvents(path string) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "lang", Type: arrow.BinaryTypes.String},
		{Name: "body", Type: arrow.BinaryTypes.String},
	}, nil))
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"en", "en", "en", "de", "en"}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{
		"  Absolutely LOVE it,   works perfectly ",
		"Broke after two days, very disappointed",
		"It arrived on Tuesday.",
		"Das ist sehr gut",
		"The worst customer service EVER",
	}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	sink, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), sink, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
}

// printActions reads the output Parquet file back, as a whole table.
func printActions(path string) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ids, texts := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
		classes, acts := rec.Column(2).(*array.String), rec.Column(3).(*array.String)
		for r := range int(rec.NumRows()) {
			fmt.Printf("%d %-40q %-8s %s\n", ids.Value(r), texts.Value(r), classes.Value(r), acts.Value(r))
		}
	}
}
