package main

import "github.com/stepwise-dev/stepwise/sfntest"

// stackMockConfig is the mock config file `runner up --mock-config` gives
// the stack this process opens (one stack per runner process).
var stackMockConfig *sfntest.MockConfig

// useMockConfig loads the file of --mock-config, if given; its errors name
// the file and the JSON pointer.
func useMockConfig(file string) error {
	if file == "" {
		return nil
	}
	c, err := sfntest.LoadMockConfig(file)
	if err != nil {
		return usagef("--mock-config: %v", err)
	}
	stackMockConfig = c
	return nil
}
