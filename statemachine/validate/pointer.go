package validate

import (
	"sort"
	"strconv"
	"strings"
)

// escapePointer escapes one JSON pointer reference token (RFC 6901): "~"
// becomes "~0" and "/" becomes "~1".
func escapePointer(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
}

// pointerTokens splits an RFC 6901 pointer into its (still escaped)
// reference tokens; "" and "/" (how [Report] names the whole document) have
// none.
func pointerTokens(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// comparePointers orders JSON pointers token by token: a parent before its
// children, array indexes numerically (/Choices/2 before /Choices/10),
// index tokens before names, names as strings.
func comparePointers(a, b string) int {
	ta, tb := pointerTokens(a), pointerTokens(b)
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if c := compareTokens(ta[i], tb[i]); c != 0 {
			return c
		}
	}
	return len(ta) - len(tb)
}

func compareTokens(a, b string) int {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return na - nb
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely misspelling. Case is ignored and a swap of two
// neighbouring letters counts as one edit, so "Frist" suggests "First",
// "Nxt" suggests "Next" and "NumberEquals" suggests "NumericEquals".
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted) // ties go to the first in a stable order
	for _, c := range sorted {
		if c == word {
			continue
		}
		d := editDistance(lw, strings.ToLower(c))
		if d > 1+len([]rune(c))/4 || d >= len([]rune(c)) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the current one, and two back for transpositions.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
