package jsonpath

import "fmt"

// Docs holds the three documents a path can start from and resolves any
// [Path] against the right one. It is a convenience for callers (the engine,
// the intrinsic-function evaluator) that do not need anything fancier.
type Docs struct {
	// Input is the document of "$" paths.
	Input any
	// Context is the context object, the document of "$$" paths.
	Context any
	// Variables holds the workflow variables visible to the state, the
	// documents of "$name" paths.
	Variables map[string]any
}

// Resolve evaluates p against the document its root names (see [Path.Get]).
// A variable that is not defined is an [*Error] matching [ErrNotFound].
func (d Docs) Resolve(p *Path) (any, error) {
	switch p.root {
	case RootContext:
		return p.Get(d.Context)
	case RootVariable:
		v, ok := d.Variables[p.variable]
		if !ok {
			return nil, &Error{Path: p.src, Offset: -1, Reason: fmt.Sprintf("The variable '$%s' is not defined", p.variable), kind: kindNotFound}
		}
		return p.Get(v)
	}
	return p.Get(d.Input)
}
