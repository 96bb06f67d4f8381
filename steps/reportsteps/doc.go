// Package reportsteps holds the three Lambda steps of the report workflow
// (statemachine/report.asl.json): [NewPlan] validates a report request,
// reads the header of each source object and cuts its records into byte
// ranges by size alone (a HEAD and one small ranged GET per object, never
// the rows); [NewPart] finds the record boundaries of one range itself,
// aggregates its records into a partial (count, sum, min, max, avg,
// count_distinct per group) and writes it, in report's binary wire form,
// to the execution's work directory; [NewReduce] checks the chain of the
// parts' quote parities, reads again the rare part that guessed its
// parity wrong, merges the partials as streams and publishes report.csv,
// report.html, report.json and manifest.json under the request's output
// prefix. Why the parts are exact is argued in package report's
// documentation.
//
// The arithmetic, the partial aggregates and the output formats live in
// [report]; this package only wires them to requests, S3 and the state
// machine. Every step is idempotent: the same input writes the same keys
// with the same bytes.
package reportsteps
