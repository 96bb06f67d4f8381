package steps

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// TestRegistryMatchesSettings checks that the registry and steps.json name
// exactly the same steps, and that every handler is a func(ctx, In) (Out,
// error) aws-lambda-go accepts.
func TestRegistryMatchesSettings(t *testing.T) {
	var settings struct {
		Steps map[string]json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(SettingsJSON, &settings); err != nil {
		t.Fatal(err)
	}
	var want []string
	for k := range settings.Steps {
		want = append(want, k)
	}
	sort.Strings(want)
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	for name, reg := range map[string]map[string]any{"Handlers": Handlers(), "New": New(&stepkit.Env{Store: objstore.NewMemory()})} {
		var got []string
		for k, h := range reg {
			got = append(got, k)
			ft := reflect.TypeOf(h)
			if ft.Kind() != reflect.Func || ft.NumIn() != 2 || ft.NumOut() != 2 || ft.In(0) != ctxType || ft.Out(1) != errType {
				t.Errorf("%s()[%q] is %v, not func(context.Context, In) (Out, error)", name, k, ft)
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s() names %v; steps.json names %v", name, got, want)
		}
	}
}
