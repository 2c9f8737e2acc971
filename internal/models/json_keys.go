package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// repeatedKey reports the first object key that data, one valid JSON value, gives twice
// at one level. encoding/json keeps the last of two equal keys and matches struct field
// names in any case, so {"labels": A, "Labels": B} would drop A without a word; keys are
// therefore compared in any case too (task.json has no maps whose keys are data).
func repeatedKey(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkKeys(dec, "")
}

func walkKeys(dec *json.Decoder, at string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			fold := foldKey(key)
			if prev, dup := seen[fold]; dup {
				also := ""
				if prev != key {
					also = fmt.Sprintf(" (first as %q: keys match in any case)", prev)
				}
				return fmt.Errorf(`%s%q is given twice%s; keep one`, prefix(at), key, also)
			}
			seen[fold] = key
			if err := walkKeys(dec, join(at, key)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func prefix(at string) string {
	if at == "" {
		return ""
	}
	return at + ": "
}

// foldKey is key in the one case encoding/json's field matching cannot tell apart
// (upper then lower: ſ and K fold to s and k, as there).
func foldKey(key string) string { return strings.ToLower(strings.ToUpper(key)) }
