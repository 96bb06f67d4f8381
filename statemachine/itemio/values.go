package itemio

import (
	"encoding/json"
	"fmt"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func asObject(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// stringField returns obj[name] as a string; where names obj in messages.
func stringField(obj map[string]any, name string, required bool, where string) (string, error) {
	v, ok := obj[name]
	if !ok || v == nil {
		if required {
			return "", readerErr("%s: field %s is required", where, name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", readerErr("%s: field %s must be a string, got %s", where, name, describe(v))
	}
	return s, nil
}

// describe shows a JSON value's type and a short preview, for messages.
func describe(v any) string {
	kind := "object"
	switch v.(type) {
	case nil:
		return "null"
	case string:
		kind = "string"
	case float64, json.Number, int:
		kind = "number"
	case bool:
		kind = "boolean"
	case []any:
		kind = "array"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return kind
	}
	if len(b) > 40 {
		b = append(b[:37:37], "..."...)
	}
	return kind + " (" + string(b) + ")"
}
