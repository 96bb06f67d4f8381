package stack

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/stepwise-dev/stepwise/local/scheduler"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// SchedulerStateFile is the file, inside the data directory, in which the
// scheduler records how far each schedule has fired (see package
// local/scheduler: fires missed while the stack was down are caught up
// from it, within EventBridge Scheduler's 24-hour maximum event age).
const SchedulerStateFile = "scheduler.json"

// newScheduler returns the scheduler of every schedule of the deployed
// workflows, or nil when there is none. Each fire starts an execution
// through the workflow's alias "live", as the aws_scheduler_schedule
// Terraform creates does, named by [scheduler.ExecutionName].
func (st *Stack) newScheduler(opts Options) (*scheduler.Scheduler, error) {
	var entries []scheduler.Entry
	aliases := map[string]string{}
	for _, w := range st.Workflows {
		aliases[w.Name] = w.AliasArn
		for _, s := range w.Schedules {
			entries = append(entries, scheduler.Entry{Workflow: w.Name, Schedule: s})
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	eng, log := st.Engine, opts.Logger
	sopts := scheduler.Options{
		StatePath: filepath.Join(st.dataDir, SchedulerStateFile),
		Logf:      func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) },
		Start: func(ctx context.Context, wf, sched, name string, input []byte, at time.Time) error {
			_, err := eng.StartExecution(ctx, statemachine.StartExecutionInput{
				StateMachineArn: aliases[wf], Name: name, Input: string(input), InputSet: true})
			if errors.Is(err, statemachine.ErrExecutionAlreadyExists) {
				return nil // a fire delivered again: its execution exists
			}
			if err == nil {
				log.Info("scheduler: started", "workflow", wf, "schedule", sched, "execution", name, "scheduled", at.UTC().Format(time.RFC3339))
			}
			return err
		},
	}
	if opts.Clock != nil {
		sopts.Clock = opts.Clock
	}
	s, err := scheduler.New(entries, sopts)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	return s, nil
}
