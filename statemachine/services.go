package statemachine

// ServiceChecker is implemented by a [ServiceInvoker] that can tell, before
// an execution starts, that it cannot run a Task's service integration (no
// endpoint is configured for the service, or the integration is not one it
// runs). StartExecution and StartSyncExecution then refuse to start with a
// ValidationException carrying the checker's message, instead of failing
// the execution at the Task with States.Runtime. AWS has no such check:
// it is for local stacks, where a missing endpoint is a set-up mistake.
type ServiceChecker interface {
	// CheckService returns nil when resource, the Resource of the Task
	// state called state, can run, else an error that names the state
	// and says what to configure.
	CheckService(state, resource string) error
}

// checkServices asks the engine's ServiceChecker, if its ServiceInvoker is
// one, about every service-integration Task of m, branches and item
// processors included.
func (e *Engine) checkServices(m *Machine) error {
	c, ok := e.opts.Services.(ServiceChecker)
	if !ok || m == nil {
		return nil
	}
	return walkServiceTasks(m, c)
}

// walkServiceTasks asks about m's own Tasks first, then those of its
// branches and item processors, each level in the order of m.States.
func walkServiceTasks(m *Machine, c ServiceChecker) error {
	for _, name := range m.States() {
		info, _ := m.State(name)
		if info.ServiceIntegration {
			if err := c.CheckService(name, info.Resource); err != nil {
				return apiErr("ValidationException", "%s", err.Error())
			}
		}
	}
	for _, name := range m.States() {
		info, _ := m.State(name)
		for _, b := range info.Branches {
			if err := walkServiceTasks(b, c); err != nil {
				return err
			}
		}
	}
	return nil
}
