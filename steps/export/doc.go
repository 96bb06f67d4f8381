// Package export defines the report-export request — its Go type, its
// published JSON Schema (request.schema.json) and its validation — together
// with the pieces every export step shares: the S3 key layout, the plan and
// part documents the steps pass to each other through S3, the filter
// compiler, row decoding and encoding, and the error types that the state
// machine's Retry and Catch match by name.
//
// It is not a Lambda handler and does no I/O of its own: the step packages
// (steps/plan, steps/exportpart, ...) do the reading and writing through
// [github.com/stepwise-dev/stepwise/steps/objstore].
//
// # Data fidelity
//
// An export never alters a value it does not transform. A row is either
// written with its values exactly as read, converted only where the
// request asks for it (a typed column in a typed output), or rejected with
// its row and line number — never silently changed.
//
// Reading. CSV sources are read with the grammar of
// [github.com/stepwise-dev/stepwise/steps/csvsplit] (RFC 4180 as Python's
// csv module reads it): field bytes are kept as they are — "\r\n" and a
// lone "\r" inside quotes, leading and trailing spaces, byte order marks
// inside fields, bytes that are not UTF-8. Only a byte order mark at the
// very start of the file is dropped (it is an encoding signature, not
// data), as are empty lines. A record that breaks RFC 4180 (a quote inside
// an unquoted field, text after a closing quote, a quote left open) or has
// the wrong number of fields is rejected. Headers are read with
// [ReadHeader], by the plan step and by the runner alike. JSON Lines
// values are the text the JSON encodes: strings decoded (bytes that are
// not UTF-8 kept as they are), null and missing keys empty, and numbers,
// booleans, objects and arrays as their JSON text exactly as the source
// writes it (1e6 stays 1e6, 0.10 stays 0.10, key order and spacing stay).
// A line that is not one JSON object, or a string with an escaped lone
// surrogate (which no UTF-8 text can hold), is rejected.
//
// Writing, per output format:
//
//   - csv: every value's bytes as they are, invalid UTF-8 included;
//     quoted when a reader could otherwise read the field differently
//     (see [AppendCSVRecord]); records end in "\n". Typed columns keep
//     their source text.
//   - jsonl: strings with only the escapes JSON requires (no HTML escaping
//     of <, > and &). Integer and number columns keep their digits: only a
//     leading '+', leading zeros and a bare '.' are rewritten, because JSON
//     has no syntax for them ("+.50" becomes 0.50). Booleans become true or
//     false, empty typed values null. A value that is not valid UTF-8
//     cannot be written as JSON text: the row is rejected with an
//     [*InvalidUTF8] naming the column and the byte offset in the value.
//   - parquet: strings are Parquet STRING (UTF-8), so a value that is not
//     valid UTF-8 rejects the row the same way. Integers are INT64;
//     numbers are DOUBLE, which holds the nearest binary value (0.10 reads
//     back as 0.1, and digits beyond double precision are lost) — declare
//     such a column a string, or export csv or jsonl, to keep its text.
//
// A rejected row counts against the request's maxRejectedRows (default
// 0); past it the export fails with [TooManyRejectedRows], whose message
// names the first rejected row, and every rejected row is written, byte
// for byte, to the part's rejected-rows object.
package export
