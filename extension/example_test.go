package extension_test

import (
	"database/sql"
	"fmt"
	"log"

	"github.com/duckinfer/duckinfer/extension"
)

// Every connection of the *sql.DB has ml_predict: embed inference in a Go program.
func Example() {
	db, err := extension.Open("") // in-memory; pass a file path for a DuckDB file
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE events AS SELECT * FROM (VALUES
		(1, 'Absolutely love it, works perfectly'),
		(2, 'Broke after two days, very disappointed')) t(id, text)`); err != nil {
		log.Fatal(err)
	}
	rows, err := db.Query(`SELECT id, predicted_class FROM ml_predict('sentiment', 'events') ORDER BY id`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var class string
		if err := rows.Scan(&id, &class); err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, class)
	}
	// Output:
	// 1 positive
	// 2 negative
}

// NewConnector takes options; Stats reports how much work the models did.
func ExampleNewConnector() {
	c, err := extension.NewConnector("", extension.WithDevice("cpu"), extension.WithCPUSlots(1))
	if err != nil {
		log.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(predicted_class) FROM ml_predict('sentiment',
		'SELECT ''so good'' AS text FROM range(1000)')`).Scan(&n)
	if err != nil {
		log.Fatal(err)
	}
	st := c.Stats()
	fmt.Println(n, st.RowsInferred, st.ModelLoads)
	// Output: 1000 1000 1
}
