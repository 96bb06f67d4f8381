package statemachine

import (
	"fmt"
	"sort"
	"strings"
)

// Render substitutes ${Name} placeholders in a workflow definition the way
// Terraform's templatefile() does for the same file, so that the local stack
// and `terraform apply` run byte-identical definitions.
//
// Only plain identifiers are supported inside ${...}; every one must be in
// vars. "$${" renders as a literal "${" and "%%{" as a literal "%{", as in
// Terraform. Template directives (%{if}, %{for}) are rejected: a definition
// that used them would render differently here than in Terraform.
func Render(definition []byte, vars map[string]string) ([]byte, error) {
	src := string(definition)
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '$' && strings.HasPrefix(src[i:], "$${"):
			b.WriteString("${")
			i += 3
		case c == '%' && strings.HasPrefix(src[i:], "%%{"):
			b.WriteString("%{")
			i += 3
		case c == '%' && strings.HasPrefix(src[i:], "%{"):
			return nil, &RenderError{Offset: i, Source: src, Msg: "template directives (%{...}) are not supported; write %%{ for a literal %{"}
		case c == '$' && strings.HasPrefix(src[i:], "${"):
			end := strings.IndexByte(src[i+2:], '}')
			if end < 0 {
				return nil, &RenderError{Offset: i, Source: src, Msg: "unterminated ${ placeholder"}
			}
			name := strings.TrimSpace(src[i+2 : i+2+end])
			if !isIdentifier(name) {
				return nil, &RenderError{Offset: i, Source: src, Msg: fmt.Sprintf("placeholder ${%s} is not a plain name; write $${ for a literal ${", name)}
			}
			v, ok := vars[name]
			if !ok {
				return nil, &RenderError{Offset: i, Source: src, Msg: fmt.Sprintf("no value for placeholder ${%s} (have: %s)", name, strings.Join(sortedKeys(vars), ", "))}
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return []byte(b.String()), nil
}

// Placeholders lists the distinct ${Name} placeholders in definition, sorted.
func Placeholders(definition []byte) []string {
	src := string(definition)
	seen := map[string]bool{}
	for i := 0; i < len(src); i++ {
		if strings.HasPrefix(src[i:], "$${") {
			i += 2
			continue
		}
		if !strings.HasPrefix(src[i:], "${") {
			continue
		}
		end := strings.IndexByte(src[i+2:], '}')
		if end < 0 {
			break
		}
		if name := strings.TrimSpace(src[i+2 : i+2+end]); isIdentifier(name) {
			seen[name] = true
		}
		i += 2 + end
	}
	return sortedKeys(seen)
}

// RenderError reports a placeholder problem with its line and column.
type RenderError struct {
	Offset int    // byte offset into the definition
	Source string // the whole definition, for line:col
	Msg    string
}

// Error implements error, as "line:col: message".
func (e *RenderError) Error() string {
	line, col := 1, 1
	for _, r := range e.Source[:e.Offset] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("render: %d:%d: %s", line, col, e.Msg)
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && (r == '-' || (r >= '0' && r <= '9')))
		if !ok {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
