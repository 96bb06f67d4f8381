// Package picture implements the picture-string formatting and parsing
// behind JSONata's $formatNumber, $formatBase, $formatInteger,
// $parseInteger, $fromMillis, $toMillis and $now.
//
// The picture grammars are those of XPath and XQuery Functions and
// Operators 3.1 (fn:format-number, fn:format-integer, fn:format-dateTime)
// as the JSONata 2.0.6 documentation adopts them, with JSONata's own
// choices where the suite or jsonata-js pins them (English words with
// "and", "ISO" for [E] and [C], [f] as milliseconds, two-digit years from
// [Y,2]). Errors are *[Error] values carrying JSONata's codes (D3080…D3136).
// Where jsonata-js 2.0.6 has plain bugs (negative offsets with minutes,
// irregular grouping) this package follows the specification;
// testdata/oracle_deviations.txt lists each such difference.
//
// The package works on plain Go values (float64, int64, string) and knows
// nothing of the JSONata evaluator: the evaluator converts its arguments,
// handles undefined inputs, and calls the functions here. It is not a
// general-purpose date or number library and has no locales other than
// English. All functions are safe for concurrent use; analysed pictures
// are cached, so repeated calls with the same picture are cheap.
package picture
