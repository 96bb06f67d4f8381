package picture

// FormatInteger formats the integer part of v (rounded toward zero) with
// an fn:format-integer picture string, as $formatInteger does: decimal
// digit patterns in any Unicode digit family with grouping separators,
// roman numerals (I, i), alphabetic sequences (A, a) and words (W, w, Ww),
// with the ";o" ordinal modifier.
func FormatInteger(v float64, picture string) (string, error) {
	return "", errorf("D3000", nil, "formatInteger: not implemented yet")
}

// ParseInteger parses s according to an fn:format-integer picture
// string, as $parseInteger does; it is the inverse of [FormatInteger].
func ParseInteger(s, picture string) (float64, error) {
	return 0, errorf("D3000", nil, "parseInteger: not implemented yet")
}
