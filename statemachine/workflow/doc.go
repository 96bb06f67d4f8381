// Package workflow reads a Stepwise project's workflows from its files, the
// convention every part of Stepwise (local stack, runner, Terraform, tests)
// shares:
//
//   - statemachine/<name>.asl.json: the ASL definition of workflow <name>
//     (<name> matches ^[a-z][a-z0-9-]{0,39}$), deployed as <prefix>-<name>;
//   - statemachine/<name>.trigger.json (optional): the EventBridge pattern
//     of the S3 "Object Created" events that start it;
//   - statemachine/<name>.trigger-input.json (optional, needs the trigger):
//     the input transformer (input_paths, input_template);
//   - statemachine/<name>.schedule.json (optional): its EventBridge
//     Scheduler schedules;
//   - steps/steps.json: every Lambda step, by handler name, with the
//     ${...} placeholder that stands for its function ARN; and under
//     "activities", every activity (a step run by a worker of one's own),
//     by name, with the placeholder of its ARN (activity <prefix>-<name>).
//
// [Load] reads and checks all of them and returns every problem at once as
// [Errors], each "<file>: <json pointer>: <message>". [Project.Render] fills
// the placeholders exactly as Terraform's templatefile does.
//
// Only the top level of statemachine/ is read: subdirectories (testdata/)
// and files that are not JSON are ignored. The package reads files and
// checks them; it deploys nothing and imports only the standard library and
// statemachine packages.
package workflow
