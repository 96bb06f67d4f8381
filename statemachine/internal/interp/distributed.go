package interp

import (
	"context"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// This file is where a Distributed Map's item source (ItemReader), its
// batching (ItemBatcher) and its result sink (ResultWriter) plug in. The
// formats themselves live in package itemio; the engine evaluates the
// fields' parameters and hands over Options.Objects.

// objects returns the engine's ObjectStore (nil when none).
func (r *runner) objects() ObjectStore { return r.env.Objects }

func itemioFailure(err error, name string) *failure {
	var ie *itemio.Error
	if errors.As(err, &ie) {
		return &failure{name: ie.Name, cause: ie.Cause}
	}
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	return &failure{name: name, cause: err.Error()}
}

// evalIOArgs evaluates the Parameters (JSONPath) or Arguments (JSONata) of
// an ItemReader or ResultWriter block.
func (r *runner) evalIOArgs(st *step, block map[string]any, effInput any, field string) (any, *failure) {
	if st.s.lang == langJSONata {
		v, ok := block["Arguments"]
		if !ok {
			return nil, nil
		}
		n, err := compileJSONataTmpl(v)
		if err != nil {
			return nil, r.runtimeErr(st, "%s.Arguments: %v", field, err)
		}
		return r.jeval(st, n, field+"/Arguments", r.jvars(st, nil))
	}
	v, ok := block["Parameters"]
	if !ok {
		return nil, nil
	}
	t, err := compileTmpl(v)
	if err != nil {
		return nil, r.runtimeErr(st, "%s.Parameters: %v", field, err)
	}
	return r.evalTmpl(st, t, effInput, field+".Parameters")
}

// resolveNumberPaths replaces "<Name>Path" members of a config block (for
// example ReaderConfig.MaxItemsPath) with "<Name>" resolved from effInput.
func (r *runner) resolveNumberPaths(st *step, cfg map[string]any, effInput any, names ...string) (map[string]any, *failure) {
	if cfg == nil {
		return nil, nil
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = v
	}
	for _, n := range names {
		ps, ok := cfg[n+"Path"].(string)
		if !ok {
			continue
		}
		tm, err := compileTmpl(map[string]any{"v.$": ps})
		if err != nil {
			return nil, r.runtimeErr(st, "%sPath: %v", n, err)
		}
		v, f := r.evalTmpl(st, tm, effInput, n+"Path")
		if f != nil {
			return nil, f
		}
		delete(out, n+"Path")
		out[n] = v.(map[string]any)["v"]
	}
	return out, nil
}

// readItems reads a Distributed Map's items through its ItemReader.
func (r *runner) readItems(ctx context.Context, st *step, effInput any) ([]any, *failure) {
	ir := st.s.mapState.itemReader
	resource, _ := ir["Resource"].(string)
	args, f := r.evalIOArgs(st, ir, effInput, "ItemReader")
	if f != nil {
		return nil, f
	}
	rc, _ := ir["ReaderConfig"].(map[string]any)
	cfg, f := r.resolveNumberPaths(st, rc, effInput, "MaxItems")
	if f != nil {
		return nil, f
	}
	var cfgArg any
	if cfg != nil {
		cfgArg = cfg
	}
	spec, err := itemio.ParseReader(resource, args, cfgArg)
	if err != nil {
		return nil, itemioFailure(err, states.ItemReaderFailed)
	}
	objs := r.objects()
	if t := r.tested(st); t != nil && t.cfg.MapItemReaderData != nil {
		objs = readerData{data: []byte(*t.cfg.MapItemReaderData)}
	}
	if objs == nil {
		return nil, &failure{name: states.ItemReaderFailed, cause: "no object store is configured for ItemReader " + resource}
	}
	items, err := readAllItems(ctx, objs, spec)
	if err != nil {
		return nil, itemioFailure(err, states.ItemReaderFailed)
	}
	return items, nil
}

// readAllItems collects every item spec names. A source without items
// gives an empty array, never nil, so the Map state's input is [].
func readAllItems(ctx context.Context, objs ObjectStore, spec itemio.ReaderSpec) ([]any, error) {
	items := []any{}
	err := itemio.ReadItems(ctx, objs, spec, func(item any) error {
		items = append(items, item)
		return nil
	})
	return items, err
}

// batchItems groups items as the ItemBatcher says.
func (r *runner) batchItems(st *step, items []any, effInput any) ([]any, *failure) {
	b := st.s.mapState.itemBatcher
	cfg, f := r.resolveNumberPaths(st, b, effInput, "MaxItemsPerBatch", "MaxInputBytesPerBatch")
	if f != nil {
		return nil, f
	}
	if bi, ok := cfg["BatchInput"]; ok && st.s.lang == langJSONPath {
		t, err := compileTmpl(bi)
		if err != nil {
			return nil, r.runtimeErr(st, "ItemBatcher.BatchInput: %v", err)
		}
		if cfg["BatchInput"], f = r.evalTmpl(st, t, effInput, "BatchInput"); f != nil {
			return nil, f
		}
	}
	spec, err := itemio.ParseBatcher(cfg)
	if err != nil {
		return nil, itemioFailure(err, states.ItemReaderFailed)
	}
	out, err := itemio.Batch(items, spec)
	if err != nil {
		return nil, itemioFailure(err, states.ItemReaderFailed)
	}
	return out, nil
}

// writeResults hands a finished Map Run's child results to the
// ResultWriter and returns the Map state's result.
func (r *runner) writeResults(ctx context.Context, st *step, effInput any, mapRunArn string, results []itemio.Result) (any, *failure) {
	w := st.s.mapState.resultWriter
	resource, _ := w["Resource"].(string)
	args, f := r.evalIOArgs(st, w, effInput, "ResultWriter")
	if f != nil {
		return nil, f
	}
	var wc any
	if c, ok := w["WriterConfig"]; ok {
		wc = c
	}
	spec, err := itemio.ParseWriter(resource, args, wc)
	if err != nil {
		return nil, itemioFailure(err, states.ResultWriterFailed)
	}
	objs := r.objects()
	if objs == nil && resource != "" {
		return nil, &failure{name: states.ResultWriterFailed, cause: fmt.Sprintf("no object store is configured for ResultWriter %s", resource)}
	}
	out, err := itemio.WriteResults(ctx, objs, spec, mapRunArn, results)
	if err != nil {
		return nil, itemioFailure(err, states.ResultWriterFailed)
	}
	return out, nil
}
