package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SentimentDomains are the three sources of the UCI Sentiment Labelled
// Sentences, in the fixed order used everywhere.
var SentimentDomains = []string{"amazon", "imdb", "yelp"}

// Example is one labelled sentence; Label 1 is positive.
type Example struct {
	Text  string
	Label int
}

// SentimentData is the training data installed by scripts/setup-data.sh.
type SentimentData struct {
	// Examples[i] holds the sentences of SentimentDomains[i], in file order.
	Examples [][]Example
	// AFINN maps a lexicon word to its valence (-5..5). Only looked up,
	// never iterated, so map order cannot leak into a model.
	AFINN map[string]int
}

const setupHint = "run scripts/setup-data.sh (or pass the folder it fills, lib/data)"

// LoadSentimentData reads <dataDir>/sentiment/{amazon,imdb,yelp}.json and
// afinn-165.json. Records with empty text (one per file) are dropped.
func LoadSentimentData(dataDir string) (*SentimentData, error) {
	d := &SentimentData{}
	for _, dom := range SentimentDomains {
		p := filepath.Join(dataDir, "sentiment", dom+".json")
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading sentiment data: %w; %s", err, setupHint)
		}
		var recs []struct {
			Text  string `json:"text"`
			Class *int   `json:"class"`
		}
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("parsing %s: %w; re-run scripts/setup-data.sh", p, err)
		}
		var ex []Example
		for _, r := range recs {
			if strings.TrimSpace(r.Text) == "" || r.Class == nil {
				continue
			}
			if *r.Class != 0 && *r.Class != 1 {
				return nil, fmt.Errorf("%s: class %d is not 0 or 1; re-run scripts/setup-data.sh", p, *r.Class)
			}
			ex = append(ex, Example{Text: r.Text, Label: *r.Class})
		}
		d.Examples = append(d.Examples, ex)
	}
	p := filepath.Join(dataDir, "sentiment", "afinn-165.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading AFINN lexicon: %w; %s", err, setupHint)
	}
	if err := json.Unmarshal(raw, &d.AFINN); err != nil {
		return nil, fmt.Errorf("parsing %s: %w; re-run scripts/setup-data.sh", p, err)
	}
	return d, nil
}

// IrisClasses are the iris species in label order.
var IrisClasses = []string{"setosa", "versicolor", "virginica"}

// IrisColumns are the iris feature columns in input order.
var IrisColumns = []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}

// IrisSample is one flower: four measurements (cm) and a class index.
type IrisSample struct {
	X     [4]float64
	Label int
}

// LoadIris reads <dataDir>/iris/iris.json (rows of 4 numbers and a species).
func LoadIris(dataDir string) ([]IrisSample, error) {
	p := filepath.Join(dataDir, "iris", "iris.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading iris data: %w; %s", err, setupHint)
	}
	var rows [][]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("parsing %s: %w; re-run scripts/setup-data.sh", p, err)
	}
	out := make([]IrisSample, 0, len(rows))
	for i, r := range rows {
		if len(r) != 5 {
			return nil, fmt.Errorf("%s row %d: want 5 fields, got %d", p, i, len(r))
		}
		var s IrisSample
		for j := 0; j < 4; j++ {
			f, ok := r[j].(float64)
			if !ok {
				return nil, fmt.Errorf("%s row %d field %d: not a number", p, i, j)
			}
			s.X[j] = f
		}
		name, _ := r[4].(string)
		s.Label = -1
		for c, cn := range IrisClasses {
			if name == cn {
				s.Label = c
			}
		}
		if s.Label < 0 {
			return nil, fmt.Errorf("%s row %d: unknown species %q", p, i, name)
		}
		out = append(out, s)
	}
	return out, nil
}
