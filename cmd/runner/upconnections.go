package main

import (
	"os"

	"github.com/stepwise-dev/stepwise/local/integrations"
)

// connectionsEnv names the connections file when `runner up --connections`
// is not given, also for the stack a single command opens for itself.
const connectionsEnv = "STEPWISE_CONNECTIONS"

// stackConnectionsFile is the file of `runner up --connections FILE`.
var stackConnectionsFile string

// useConnections checks the --connections file now, so that a mistake in
// it stops `runner up` before anything starts.
func useConnections(file string) error {
	if file == "" {
		return nil
	}
	if _, err := integrations.LoadConnections(file); err != nil {
		return usagef("--connections: %v", err)
	}
	stackConnectionsFile = file
	return nil
}

// connectionsFile is the flag's file, else the variable's; "" for none.
func connectionsFile() string {
	if stackConnectionsFile != "" {
		return stackConnectionsFile
	}
	return os.Getenv(connectionsEnv)
}

// httpConnections loads the connections file, if any: nil without one
// (HTTP Tasks' connections then add nothing).
func httpConnections() (map[string]integrations.Connection, error) {
	f := connectionsFile()
	if f == "" {
		return nil, nil
	}
	c, err := integrations.LoadConnections(f)
	if err != nil {
		return nil, usagef("%s: %v", connectionsEnv, err)
	}
	return c, nil
}
