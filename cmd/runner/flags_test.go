package main

import (
	"strings"
	"testing"
)

// TestEveryCommandDeclaresItsGlobalFlags: a command missing from
// commandGlobals would accept no global flag at all, --output included.
func TestEveryCommandDeclaresItsGlobalFlags(t *testing.T) {
	for _, c := range commands {
		if _, ok := commandGlobals[c.name]; !ok {
			t.Errorf("command %q is not in commandGlobals: say which global flags it uses", c.name)
		}
	}
	for name := range commandGlobals {
		if lookup(name) == nil {
			t.Errorf("commandGlobals names %q, which is no command", name)
		}
	}
}

// TestHelpListsOnlyUsedGlobalFlags checks every command's --help against
// its declared global flags (issue 11: gen --help listed --bootstrap).
func TestHelpListsOnlyUsedGlobalFlags(t *testing.T) {
	for _, c := range commands {
		var b strings.Builder
		c.usage(&b)
		help := b.String()
		for _, bit := range globalOrder {
			name := globalNames[bit]
			listed := strings.Contains(help, "\n  --"+name+" ") || strings.Contains(help, "\n  --"+name+"\n")
			if used := c.globals()&bit != 0; listed != used {
				t.Errorf("runner %s --help: --%s listed=%v, used=%v\n%s", c.name, name, listed, used, help)
			}
		}
	}
}

// TestCommandListHasEachNameOnce: commands is the one list of commands;
// a name in it twice would make the second unreachable.
func TestCommandListHasEachNameOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q is in the list twice", c.name)
		}
		seen[c.name] = true
		if c.setup == nil || c.summary == "" {
			t.Errorf("command %q: constructor left setup or summary empty", c.name)
		}
	}
	if len(seen) != len(commandGlobals) {
		t.Errorf("%d commands, %d in commandGlobals", len(seen), len(commandGlobals))
	}
}
