package statemachine

// load reads persisted state machines from the Store.
func (e *Engine) load() error {
	return nil
}
