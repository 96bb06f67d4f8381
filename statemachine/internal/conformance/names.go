package conformance

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The real names a case runs with. Each is distinctive so that mapping it
// back to its placeholder cannot hit unrelated text.
const (
	Region        = "us-east-1"
	Account       = "111111111111"
	RoleArn       = "arn:aws:iam::111111111111:role/swconfRole"
	MachineName   = "swconfSM"
	TargetName    = "swconfTarget"
	StdExecName   = "swconfStdExec"
	SyncExecName  = "swconfSyncExec"
	AsyncExecName = "swconfAsyncExec"
	randomPart    = "swconfRandomPart"
)

// Start is the virtual clock's start time for every case.
var Start = time.Date(2024, 6, 3, 10, 20, 30, 0, time.UTC)

// Names maps a case's placeholders to the real names it runs with
// (Forward, for the definition and input) and the engine's results back to
// the corpus's masks (Reverse, for [Normalise]).
type Names struct {
	forward []Replacement
	reverse []Replacement
	// Functions maps the real Lambda function names to handler names.
	Functions map[string]string
	// Timestamp is the value substituted for <timestamp>, if any.
	Timestamp string
}

var (
	// requestIDRe and friends are the suite-wide masks of the recording.
	requestIDRe         = regexp.MustCompile(`Request ID: [a-zA-Z0-9-]+`)
	extendedRequestIDRe = regexp.MustCompile(`Extended Request ID: [a-zA-Z0-9-/+=]+`)
	mapRunArnRe         = regexp.MustCompile(`:mapRun:([^/":]+)/([^/":]+):[0-9a-fA-F-]{36}`)
	timestampParamRe    = regexp.MustCompile(`__(\.0+Z|Z)$`)
	boundaryDaysRe      = regexp.MustCompile(`boundary__(\d+)$`)
)

// NewNames prepares the substitutions for c.
func NewNames(c *Case) *Names {
	n := &Names{Functions: map[string]string{}}
	// Lambda function names: placeholders become real names; names that
	// are already plain (lambda_function_name) stay as they are.
	keys := make([]string, 0, len(c.Lambdas))
	for k := range c.Lambdas {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		real := k
		if strings.ContainsAny(k, "<>") {
			real = "swconf" + strings.Trim(k, "<>")
			n.forward = append(n.forward, Replacement{Old: k, New: real})
			n.reverse = append(n.reverse, Replacement{Old: real, New: k})
		}
		n.Functions[real] = c.Lambdas[k].Handler()
	}
	smToken := MachineName
	if len(c.StateMachines) > 0 {
		smToken = TargetName
	}
	n.forward = append(n.forward,
		Replacement{Re: regexp.MustCompile(`<ArnPart_\d+idx>`), New: smToken},
		Replacement{Old: "<random_arn_part>", New: randomPart},
		Replacement{Old: "arn:<partition>:", New: "arn:aws:"},
		Replacement{Old: "<region>", New: Region},
	)
	if ts := timestampFor(c); ts != "" {
		n.Timestamp = ts
		n.forward = append(n.forward, Replacement{Old: "<timestamp>", New: ts})
	}
	// Tests that named their execution masked it as <execution-name>.
	execToken := c.token("ExecArnPart_", "idx")
	if c.expectedContains("<execution-name>") {
		execToken = "<execution-name>"
	}
	n.reverse = append(n.reverse,
		Replacement{Old: RoleArn, New: "snf_role_arn"},
		Replacement{Old: StdExecName, New: execToken},
		Replacement{Old: SyncExecName, New: c.token("SyncExecArn_Part1_", "idx")},
		Replacement{Old: AsyncExecName, New: c.token("ExpressExecArn_Part1_", "idx")},
		Replacement{Re: mapRunArnRe, New: ":mapRun:$1/" + c.token("MapRunArnPart0_", "idx") + ":" + c.token("MapRunArnPart1_", "idx")},
		Replacement{Old: TargetName, New: c.token("ArnPart_", "idx")},
		Replacement{Old: MachineName, New: c.token("ArnPart_", "idx")},
		Replacement{Old: randomPart, New: "<random_arn_part>"},
		Replacement{Old: "arn:aws:", New: "arn:<partition>:"},
		Replacement{Old: Region, New: "<region>"},
		Replacement{Old: Account, New: "111111111111"},
		Replacement{Re: extendedRequestIDRe, New: "Extended Request ID: <extended_request_id>"},
		Replacement{Re: requestIDRe, New: "Request ID: <request_id>"},
	)
	if n.Timestamp != "" {
		n.reverse = append(n.reverse, Replacement{Old: n.Timestamp, New: "<timestamp>"})
	}
	return n
}

// tokenRe finds an indexed name token such as <ExecArnPart_1idx>.
var tokenRe = regexp.MustCompile(`<([A-Za-z0-9]+_(?:Part[12]_)?)(\d+)idx>`)

// token returns the indexed token with the given prefix that the case's
// recorded values use (the recording numbered names per test, so a later
// execution of a test may read <ExecArnPart_1idx>), or the index-0 token.
func (c *Case) token(prefix, suffix string) string {
	e := c.Expected
	for _, raw := range []json.RawMessage{e.History, e.Output, e.Cause, e.DescribeExecution, e.StartSync, e.EndEvent} {
		for _, m := range tokenRe.FindAllStringSubmatch(string(raw), -1) {
			if m[1] == prefix {
				return m[0]
			}
		}
	}
	return "<" + prefix + "0" + suffix + ">"
}

// Forward substitutes real names into definition or input text.
func (n *Names) Forward(s string) string {
	for _, r := range n.forward {
		s = r.apply(s)
	}
	return s
}

// Reverse returns the replacements that turn engine results back into the
// corpus's masked form, with extra (for example an express execution's
// UUID) applied first.
func (n *Names) Reverse(extra ...Replacement) []Replacement {
	out := append([]Replacement{}, extra...)
	return append(out, n.reverse...)
}

// timestampFor returns the value for a case's <timestamp> placeholder: the
// wait tests sent a date-time relative to "now" in the format their
// parameter names (…__Z, …__.00Z, …__.000000Z) or N days ahead (…boundary__N).
func timestampFor(c *Case) string {
	if m := boundaryDaysRe.FindStringSubmatch(c.Name); m != nil {
		days, _ := strconv.Atoi(m[1])
		return Start.AddDate(0, 0, days).Format("2006-01-02T15:04:05Z")
	}
	at := Start.Add(30 * time.Second)
	if m := timestampParamRe.FindStringSubmatch(c.Name); m != nil {
		frac := strings.TrimSuffix(m[1], "Z")
		if frac != "" {
			return at.Format("2006-01-02T15:04:05") + frac + "Z"
		}
	}
	return at.Format("2006-01-02T15:04:05Z")
}
