package integrations

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Connection is what an EventBridge connection adds to an HTTP Task's
// request, in the shape of EventBridge's CreateConnection request
// (AuthorizationType and AuthParameters), so that a connection's
// description can be copied into a local connections file. BASIC and
// API_KEY are supported; OAUTH_CLIENT_CREDENTIALS is not (the local stack
// fetches no tokens: give the header as an invocation header parameter).
type Connection struct {
	AuthorizationType string
	AuthParameters    struct {
		BasicAuthParameters *struct {
			Username, Password string
		}
		ApiKeyAuthParameters *struct {
			ApiKeyName, ApiKeyValue string
		}
		InvocationHttpParameters struct {
			HeaderParameters      []ConnectionParameter
			QueryStringParameters []ConnectionParameter
			BodyParameters        []ConnectionParameter
		}
	}

	arn string // the key it was found under, for messages
}

// ConnectionParameter is one invocation parameter of a [Connection].
// IsValueSecret is accepted for the shape's sake: every value a
// connection adds is hidden from TestState unless revealSecrets is set.
type ConnectionParameter struct {
	Key, Value    string
	IsValueSecret bool
}

// connectionArnRe matches an EventBridge connection ARN; the name is
// group 1.
var connectionArnRe = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:\d{12}:connection/([\w.\-]{1,64})/[\w-]+$`)

// connectionName is the name in a connection ARN, "" when s is none.
func connectionName(s string) string {
	if m := connectionArnRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// LoadConnections reads a connections file: a JSON object whose keys are
// connection ARNs or connection names (a name matches the ARN of that
// connection in any region and account) and whose values are
// [Connection]s:
//
//	{"arn:aws:events:us-east-1:123456789012:connection/Stripe/81210c42-8af1-456b-9c4a-6ff02fc664ac": {
//	   "AuthorizationType": "API_KEY",
//	   "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer sk_test_..."}}}}
//
// The file holds secrets: keep it out of version control.
func LoadConnections(path string) (map[string]Connection, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("integrations: connections file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("integrations: connections file %s: want a JSON object of connection ARNs (or names) and connections: %v", path, err)
	}
	out := make(map[string]Connection, len(raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var c Connection
		d := json.NewDecoder(strings.NewReader(string(raw[k])))
		d.DisallowUnknownFields()
		if err := d.Decode(&c); err != nil {
			return nil, fmt.Errorf("integrations: connections file %s: connection %q: %v", path, k, err)
		}
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("integrations: connections file %s: connection %q: %v", path, k, err)
		}
		if strings.HasPrefix(k, "arn:") && connectionName(k) == "" {
			return nil, fmt.Errorf("integrations: connections file %s: %q is not a connection ARN (arn:aws:events:REGION:ACCOUNT:connection/NAME/ID) nor a connection name", path, k)
		}
		out[k] = c
	}
	return out, nil
}

func (c *Connection) check() error {
	p := &c.AuthParameters
	switch c.AuthorizationType {
	case "BASIC":
		if p.BasicAuthParameters == nil || p.BasicAuthParameters.Username == "" {
			return fmt.Errorf("AuthorizationType BASIC needs AuthParameters.BasicAuthParameters with a Username and Password")
		}
	case "API_KEY":
		if p.ApiKeyAuthParameters == nil || p.ApiKeyAuthParameters.ApiKeyName == "" {
			return fmt.Errorf("AuthorizationType API_KEY needs AuthParameters.ApiKeyAuthParameters with an ApiKeyName and ApiKeyValue")
		}
	case "OAUTH_CLIENT_CREDENTIALS":
		return fmt.Errorf("AuthorizationType OAUTH_CLIENT_CREDENTIALS is not supported locally (the stack fetches no OAuth tokens); use API_KEY with ApiKeyName \"Authorization\" and a token you obtained")
	default:
		return fmt.Errorf("AuthorizationType must be BASIC or API_KEY, got %q", c.AuthorizationType)
	}
	for _, ps := range [][]ConnectionParameter{p.InvocationHttpParameters.HeaderParameters, p.InvocationHttpParameters.QueryStringParameters, p.InvocationHttpParameters.BodyParameters} {
		for _, q := range ps {
			if q.Key == "" {
				return fmt.Errorf("an invocation parameter has no Key")
			}
		}
	}
	return nil
}

// connection finds what the connection arn adds: nil when no connections
// are configured (the request goes as the state gives it).
func (inv *Invoker) connection(arn string) (*Connection, error) {
	if inv.cfg.Connections == nil {
		return nil, nil
	}
	c, ok := inv.cfg.Connections[arn]
	if !ok {
		c, ok = inv.cfg.Connections[connectionName(arn)]
	}
	if !ok {
		return nil, &statemachine.TaskError{Name: "Events.ConnectionResource.ResourceNotFound",
			Cause: fmt.Sprintf("Connection '%s' does not exist in the local stack's connections file (runner up --connections FILE): add it under its ARN or its name '%s'", arn, connectionName(arn))}
	}
	c.arn = arn
	return &c, nil
}
