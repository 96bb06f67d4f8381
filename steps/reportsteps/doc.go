// Package reportsteps holds the three Lambda steps of the report workflow
// (statemachine/report.asl.json): [NewPlan] validates a report request and
// splits its source into record-aligned byte ranges (through the export's
// plan step, so both jobs cut parts the same way); [NewPart] aggregates one
// range into a partial (count, sum, min, max, avg, count_distinct per
// group) and writes it to the execution's work directory; [NewReduce]
// merges the partials and publishes report.csv, report.html, report.json
// and manifest.json under the request's output prefix.
//
// The arithmetic, the partial aggregates and the output formats live in
// [report]; this package only wires them to requests, S3 and the state
// machine. Every step is idempotent: the same input writes the same keys
// with the same bytes.
package reportsteps
