// Package report holds the code shared by the report workflow's steps
// (plan, part, reduce): exact decimal arithmetic, the partial aggregates a
// part computes per group and the reduce step merges (with their binary
// wire form), and the record boundaries of a part.
//
// Sums never drift: a value is parsed as an unscaled big integer and a
// scale (number of fraction digits), and sums are kept at the largest
// scale seen, so "0.1" added ten times is exactly "1.0".
//
// # Parts cut by size, records found by quote parity
//
// The plan cuts each source object's records, [D, size) after its header,
// into byte ranges [S_k, S_k+1) by size alone, without reading them. Part k
// aggregates exactly the records that start in [S_k, S_k+1). This is exact;
// the argument, for the grammar of package csvsplit read strictly (a
// record with a fault fails the report):
//
//  1. A line end is "\n", "\r\n" or a lone "\r", placed at its last byte j.
//     Let Q(j) be the parity of the '"' bytes in [D, j). In a source
//     without faults a quote only opens a quoted field (at a field start),
//     escapes one inside it ("") or closes it, so a byte is inside a
//     quoted field exactly when Q is odd there: the line ends with Q(j)
//     even are the record ends, and B = {D} ∪ {j+1 : such j} are the
//     points where a sequential parser stands between records.
//  2. Part k reads from b_k = min{b in B : b >= S_k} (b_0 = D) to
//     b_k+1 (the same rule at S_k+1, the end of the object for the last
//     part), going past S_k+1 as far as the last record needs ([RangeReader],
//     ranged GETs with a bounded overshoot). The ranges [b_k, b_k+1) tile
//     [D, size); each starts and ends between records, so parsing each
//     alone yields the records of the sequential parse, each once, in
//     order.
//  3. A part needs Q(S_k) and cannot know it without reading everything
//     before. It guesses ([ChooseParity]: the guess under which the first
//     64 KiB parse as records of the header's width), and it records,
//     whatever it guessed, the parity q_k of the quotes in [S_k, S_k+1) and
//     its line ends there. The reduce chains them: Q(S_0) = 0 and
//     Q(S_k+1) = Q(S_k) xor q_k. A part whose guess differs from the chain
//     is aggregated again by the reduce with the true parity, so a wrong
//     guess costs time, never exactness. (A range with no line-end byte
//     holds no record start under either parity, so its empty result
//     holds for both.)
//  4. Faults: if every part parses its range strictly without a fault,
//     the concatenation of the ranges is a source without faults, so 1
//     applies. Otherwise the first part (in source order, under the true
//     parity) with a fault starts where the sequential parser stands after
//     faultless records, so it meets the sequential parser's first fault.
//     Since a fault under a wrong guess means nothing, a part other than
//     the first of its source only records its error; the reduce reports
//     it when the chain confirms the part's parity, with the source line
//     (the header's line ends plus those of the parts before, chained
//     like the parity).
//
// JSON Lines needs none of this: every "\n" ends a record.
package report
