// Package picture implements the picture-string formatting and parsing
// behind JSONata's $formatNumber, $formatBase, $formatInteger,
// $parseInteger, $fromMillis, $toMillis and $now.
//
// The picture grammars are those of XPath and XQuery Functions and
// Operators 3.1 (fn:format-number, fn:format-integer, fn:format-dateTime)
// as the JSONata 2.0.6 documentation adopts them. Errors carry JSONata's
// codes (D3080…D3136) in [Error].
//
// The package works on plain Go values (float64, int64, string) and knows
// nothing of the JSONata evaluator: the evaluator converts its arguments,
// handles undefined inputs, and calls the functions here. It is not a
// general-purpose date or number library; it only covers what those
// JSONata functions need. All functions are safe for concurrent use.
package picture
