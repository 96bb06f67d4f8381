package main

import (
	"context"
	"errors"
)

// connectLocal is wired to the embedded local stack in local_stack.go.
func (a *app) connectLocal(ctx context.Context) (*target, error) {
	return nil, errors.New("the embedded local stack is not available in this build yet: use --endpoint-url or --aws")
}
