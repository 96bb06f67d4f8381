package main

import (
	"os"
	"sort"

	"github.com/stepwise-dev/stepwise/local/integrations"
)

// stackEndpoints are the endpoints `runner up --endpoint SERVICE=URL`
// gives the service integrations of the local stack; the standard
// AWS_ENDPOINT_URL_<SERVICE> variables fill in the others.
var stackEndpoints map[string]string

// useEndpoints checks the --endpoint flags.
func useEndpoints(flags []string) error {
	for _, f := range flags {
		svc, u, err := integrations.ParseEndpoint(f)
		if err != nil {
			return usagef("--endpoint: %v", err)
		}
		if stackEndpoints == nil {
			stackEndpoints = map[string]string{}
		}
		stackEndpoints[svc] = u
	}
	return nil
}

// serviceEndpoints is what the stack's integrations call: the variables'
// endpoints, overridden by the flags'.
func serviceEndpoints() map[string]string {
	eps := integrations.EndpointsFromEnv(os.Getenv)
	for s, u := range stackEndpoints {
		eps[s] = u
	}
	return eps
}

// sortedEndpoints lists endpoints as SERVICE=URL, sorted.
func sortedEndpoints(eps map[string]string) []string {
	out := make([]string, 0, len(eps))
	for s, u := range eps {
		out = append(out, s+"="+u)
	}
	sort.Strings(out)
	return out
}
