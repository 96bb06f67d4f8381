package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// EndpointsFile is the name of the file, inside the data directory, in
// which a running stack announces its endpoints.
const EndpointsFile = "endpoints.json"

// Endpoints is what a running stack writes to <DataDir>/endpoints.json so
// that another process (a second runner command, the AWS CLI, a test) can
// talk to it instead of opening the data directory itself.
type Endpoints struct {
	// StepFunctions is the base URL of the Step Functions API.
	StepFunctions string `json:"stepfunctions"`
	// S3 is the base URL of the S3 API (path-style addressing).
	S3 string `json:"s3,omitempty"`
	// S3AccessKey and S3SecretKey are the credentials the local S3 accepts.
	S3AccessKey string `json:"s3AccessKey,omitempty"`
	S3SecretKey string `json:"s3SecretKey,omitempty"`
	// S3CACert is the PEM file to trust when S3 is served over HTTPS.
	S3CACert string `json:"s3CACert,omitempty"`
	// Region and AccountID are those in the stack's ARNs.
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
	// StateMachineArn is the deployed export workflow, if any.
	StateMachineArn string `json:"stateMachineArn,omitempty"`
	// Workflows are every deployed workflow, sorted by name.
	Workflows []EndpointWorkflow `json:"workflows,omitempty"`
	// Activities are the ARNs of the activities of steps.json, sorted.
	Activities []string `json:"activities,omitempty"`
	// Bucket is the bucket the export workflow uses.
	Bucket string `json:"bucket,omitempty"`
	// PID is the process serving these endpoints.
	PID int `json:"pid"`
}

// EndpointWorkflow is one deployed workflow in endpoints.json.
type EndpointWorkflow struct {
	Name     string `json:"name"`     // <name> of statemachine/<name>.asl.json
	Arn      string `json:"arn"`      // the state machine <prefix>-<name>
	AliasArn string `json:"aliasArn"` // its alias "live"
}

// ErrNotRunning is returned by [ReadEndpoints] when no live stack serves
// the data directory.
var ErrNotRunning = errors.New("no running Stepwise stack")

// ReadEndpoints returns the endpoints of the stack running on dataDir. It
// fails with an error wrapping [ErrNotRunning] if there is no endpoints file
// or its process is gone (a stack killed with kill -9 leaves a stale file).
func ReadEndpoints(dataDir string) (*Endpoints, error) {
	path := filepath.Join(dataDir, EndpointsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("stack: %w on %s (no %s)", ErrNotRunning, dataDir, EndpointsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	var ep Endpoints
	if err := json.Unmarshal(b, &ep); err != nil {
		return nil, fmt.Errorf("stack: %s: %w", path, err)
	}
	if ep.PID <= 0 || !alive(ep.PID) {
		return nil, fmt.Errorf("stack: %w on %s (process %d from %s is gone)", ErrNotRunning, dataDir, ep.PID, path)
	}
	return &ep, nil
}

// writeEndpoints writes the file atomically: readers see the old file or
// the complete new one.
func writeEndpoints(dataDir string, ep *Endpoints) error {
	b, err := json.MarshalIndent(ep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, EndpointsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("stack: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("stack: write %s: %w", path, err)
	}
	return nil
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
