package picture

import "sync"

// maxCached bounds each cache; pictures are nearly always literals in
// expressions, so a few hundred entries cover a whole deployment.
const maxCached = 512

// cache memoises picture analysis by picture string, errors included
// (a picture's analysis does not depend on anything else). Safe for
// concurrent use; when full it starts afresh rather than tracking use.
type cache[T any] struct {
	mu sync.Mutex
	m  map[string]cached[T]
}

type cached[T any] struct {
	v   T
	err error
}

func (c *cache[T]) get(key string, build func(string) (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	v, err := build(key)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]cached[T])
	}
	c.m[key] = cached[T]{v, err}
	c.mu.Unlock()
	return v, err
}
