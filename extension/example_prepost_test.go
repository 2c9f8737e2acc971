package extension_test

import (
	"fmt"
	"log"
	"strings"
	"sync/atomic"

	"github.com/duckinfer/duckinfer/extension"
)

// Calls of normalize and action, to show that each ran once per row that reached it.
var normalized, acted atomic.Int64

// normalize is a row pre-processor: it lower-cases a review and collapses its spaces.
func normalize(body string) (string, error) {
	normalized.Add(1)
	return strings.ToLower(strings.Join(strings.Fields(body), " ")), nil
}

// action is a row post-processor: it turns a prediction into what the business does
// next, or nil (SQL NULL) when the model is not sure enough to act, which drops the row.
func action(label string, confidence float64) (*string, error) {
	acted.Add(1)
	var a string
	switch {
	case confidence < 0.7:
		return nil, nil
	case label == "negative":
		a = "call customer"
	default:
		a = "send thank-you"
	}
	return &a, nil
}

// Go functions as row pre- and post-processors: WithFuncs makes them SQL functions of
// the database, the input query calls the pre-processor, the query around ml_predict
// the post-processor, and WHERE ... IS NOT NULL drops the rows it returns nil for.
// DuckDB runs both on its worker threads, around the model, once per row.
func ExampleWithFuncs() {
	normalized.Store(0)
	acted.Store(0)
	db, err := extension.Open("", extension.WithFuncs(
		extension.Func1("normalize", normalize),
		extension.Func2("action", action),
	))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE events AS SELECT * FROM (VALUES
		(1, 'en', '  Absolutely LOVE it,   works perfectly '),
		(2, 'en', 'Broke after two days, very disappointed'),
		(3, 'en', 'It arrived on Tuesday.'),
		(4, 'de', 'Das ist sehr gut'),
		(5, 'en', 'The worst customer service EVER')) t(id, lang, body)`); err != nil {
		log.Fatal(err)
	}
	rows, err := db.Query(`
SELECT id, text, predicted_class, action FROM (
    SELECT *, action(predicted_class, confidence::DOUBLE) AS action
    FROM ml_predict('sentiment', 'SELECT id, normalize(body) AS text FROM events WHERE lang = ''en''')
) WHERE action IS NOT NULL ORDER BY id`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var text, class, act string
		if err := rows.Scan(&id, &text, &class, &act); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %-40q %-8s %s\n", id, text, class, act)
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	// Four English rows went through normalize, the model and action; row 3 (confidence
	// 0.56) was dropped by action, row 4 never reached the model.
	fmt.Println("normalize:", normalized.Load(), "action:", acted.Load())
	// Output:
	// 1 "absolutely love it, works perfectly"    positive send thank-you
	// 2 "broke after two days, very disappointed" negative call customer
	// 5 "the worst customer service ever"        negative call customer
	// normalize: 4 action: 4
}
