// Command awsschema derives the argument schema of the hashicorp/aws
// Terraform provider's resource types from the npm package
// @cdktf/provider-aws, which is generated from the provider (21.22.1 from
// hashicorp/aws 6.25.0) and carries every argument name, nested block and
// required flag, but no provider binary. Provider plugins cannot be
// downloaded where Stepwise is tested, so this schema is what checks
// terraform/*.tf for unknown arguments, missing required arguments and
// unknown resource types (see terraform/schema_test.go).
//
// Usage (from the repository root):
//
//	go run ./terraform/tools/awsschema            # npm pack the pinned package, write the schema
//	go run ./terraform/tools/awsschema -pkg DIR   # use an unpacked package directory
//
// Full schemas are written for the resource and data source types the
// root module uses; the names of all other types are listed so that a typo
// is told apart from a type whose schema was not extracted.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const npmPackage = "@cdktf/provider-aws@21.22.1"

// Schema is the file this tool writes.
type Schema struct {
	Source          string           `json:"source"`
	ProviderVersion string           `json:"provider_version"`
	Resources       map[string]*Body `json:"resources"`
	DataSources     map[string]*Body `json:"data_sources"`
	AllResources    []string         `json:"all_resources"`
	AllDataSources  []string         `json:"all_data_sources"`
}

// Body is the schema of a resource, data source or nested block.
type Body struct {
	Attributes map[string]Attribute `json:"attributes"`
	Blocks     map[string]*Block    `json:"blocks,omitempty"`
}

// Attribute is one argument.
type Attribute struct {
	Required bool `json:"required,omitempty"`
}

// Block is a nested block type.
type Block struct {
	Nesting  string `json:"nesting"` // list, set or single
	Required bool   `json:"required,omitempty"`
	Body
}

func main() {
	pkg := flag.String("pkg", "", "unpacked npm package directory (default: npm pack "+npmPackage+" into a temporary directory)")
	tfDir := flag.String("tf", "terraform", "Terraform root module whose resource types get full schemas")
	out := flag.String("out", filepath.Join("terraform", "testdata", "aws-provider-schema.json"), "output file")
	flag.Parse()
	if err := run(*pkg, *tfDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "awsschema:", err)
		os.Exit(1)
	}
}

func run(pkg, tfDir, out string) error {
	if pkg == "" {
		dir, err := os.MkdirTemp("", "awsschema-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", npmPackage, "--silent")
		cmd.Dir, cmd.Stderr = dir, os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("npm pack %s: %w", npmPackage, err)
		}
		tgz := strings.TrimSpace(string(name))
		if err := exec.Command("tar", "-xzf", filepath.Join(dir, tgz), "-C", dir).Run(); err != nil {
			return fmt.Errorf("unpack %s: %w", tgz, err)
		}
		pkg = filepath.Join(dir, "package")
	}
	used, err := usedTypes(tfDir)
	if err != nil {
		return err
	}
	s := &Schema{
		Source:          npmPackage,
		ProviderVersion: "hashicorp/aws 6.25.0",
		Resources:       map[string]*Body{},
		DataSources:     map[string]*Body{},
	}
	dirs, err := os.ReadDir(filepath.Join(pkg, "lib"))
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		base := filepath.Join(pkg, "lib", d.Name())
		dts, err1 := os.ReadFile(filepath.Join(base, "index.d.ts"))
		js, err2 := os.ReadFile(filepath.Join(base, "index.js"))
		if err1 != nil || err2 != nil {
			continue
		}
		m := reTFType.FindSubmatch(dts)
		if m == nil || string(m[1]) == "aws" {
			continue // provider config or a helper module
		}
		typ := string(m[1])
		isData := strings.HasPrefix(d.Name(), "data-aws-")
		if isData {
			s.AllDataSources = append(s.AllDataSources, typ)
		} else {
			s.AllResources = append(s.AllResources, typ)
		}
		key := map[bool]string{true: "data", false: "resource"}[isData] + "." + typ
		if !used[key] {
			continue
		}
		body, err := parseResource(string(js), string(dts))
		if err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
		if isData {
			s.DataSources[typ] = body
		} else {
			s.Resources[typ] = body
		}
	}
	sort.Strings(s.AllResources)
	sort.Strings(s.AllDataSources)
	for key := range used {
		kind, typ, _ := strings.Cut(key, ".")
		if (kind == "resource" && s.Resources[typ] == nil) || (kind == "data" && s.DataSources[typ] == nil) {
			fmt.Fprintf(os.Stderr, "awsschema: %s %s is used in %s but is not a type of %s\n", kind, typ, tfDir, npmPackage)
		}
	}
	data, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, append(data, '\n'), 0o644)
}

var (
	reTFType = regexp.MustCompile(`static readonly tfResourceType = "([a-z0-9_]+)";`)
	reUsed   = regexp.MustCompile(`(?m)^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"`)
	// One entry of an attrs object literal in generated JS:
	//   name: {\n value: <expr>,\n isBlock: <bool>,\n type: "<kind>",
	reAttr = regexp.MustCompile(`(?s)\n\s+([a-z0-9_]+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: "([a-z]+)"`)
	// The camelCase member an attrs entry reads: struct.fooBar or this._fooBar.
	reMember = regexp.MustCompile(`(?:struct\.|this\._)([A-Za-z0-9]+)\)*(?:\.internalValue)?\)*$`)
	// The converter a block entry calls.
	reConverter = regexp.MustCompile(`([a-zA-Z0-9]+)ToHclTerraform`)
)

// usedTypes lists "resource.TYPE" and "data.TYPE" for the .tf files in dir
// and in its local modules (dir/modules/*).
func usedTypes(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	nested, err := filepath.Glob(filepath.Join(dir, "modules", "*", "*.tf"))
	if err != nil {
		return nil, err
	}
	files = append(files, nested...)
	used := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range reUsed.FindAllSubmatch(src, -1) {
			used[string(m[1])+"."+string(m[2])] = true
		}
	}
	return used, nil
}

// parseResource reads the top-level attrs of the resource class's
// synthesizeHclAttributes and follows block converters recursively.
func parseResource(js, dts string) (*Body, error) {
	i := strings.Index(js, "synthesizeHclAttributes() {")
	if i < 0 {
		return nil, fmt.Errorf("no synthesizeHclAttributes")
	}
	attrs := objectLiteral(js[i:])
	cfg := reConfigInterface.FindStringSubmatch(dts)
	if cfg == nil {
		return nil, fmt.Errorf("no Config interface")
	}
	return parseAttrs(js, dts, attrs, cfg[1]+"Config", 0)
}

var reConfigInterface = regexp.MustCompile(`export interface ([A-Za-z0-9]+)Config extends cdktf\.TerraformMetaArguments`)

func parseAttrs(js, dts, attrs, iface string, depth int) (*Body, error) {
	if depth > 12 {
		return nil, fmt.Errorf("blocks nested too deeply at %s", iface)
	}
	required := requiredMembers(dts, iface)
	b := &Body{Attributes: map[string]Attribute{}, Blocks: map[string]*Block{}}
	for _, m := range reAttr.FindAllStringSubmatch(attrs, -1) {
		name, value, isBlock, kind := m[1], m[2], m[3] == "true", m[4]
		member := ""
		if mm := reMember.FindStringSubmatch(strings.TrimSpace(value)); mm != nil {
			member = mm[1]
		}
		if !isBlock {
			b.Attributes[name] = Attribute{Required: required[member]}
			continue
		}
		conv := ""
		for _, c := range reConverter.FindAllStringSubmatch(value, -1) {
			if !strings.HasPrefix(c[1], "cdktf") && c[1] != "string" && c[1] != "number" && c[1] != "boolean" {
				conv = c[1]
			}
		}
		if conv == "" {
			return nil, fmt.Errorf("block %s: no converter in %q", name, value)
		}
		fn := "function " + conv + "ToHclTerraform(struct) {"
		j := strings.Index(js, fn)
		if j < 0 {
			return nil, fmt.Errorf("block %s: converter %s not found", name, conv)
		}
		nested, err := parseAttrs(js, dts, objectLiteral(js[j:]), strings.ToUpper(conv[:1])+conv[1:], depth+1)
		if err != nil {
			return nil, err
		}
		nesting := map[string]string{"list": "list", "set": "set", "struct": "single"}[kind]
		if nesting == "" {
			nesting = kind
		}
		b.Blocks[name] = &Block{Nesting: nesting, Required: required[member], Body: *nested}
	}
	if len(b.Blocks) == 0 {
		b.Blocks = nil
	}
	return b, nil
}

// objectLiteral returns the first `const attrs = { ... };` literal in src.
func objectLiteral(src string) string {
	i := strings.Index(src, "const attrs = {")
	if i < 0 {
		return ""
	}
	depth := 0
	for j := i + len("const attrs = "); j < len(src); j++ {
		switch src[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return src[i : j+1]
			}
		}
	}
	return src[i:]
}

// requiredMembers reads `readonly name: T;` (required) and `readonly
// name?: T;` (optional) members of a TypeScript interface.
func requiredMembers(dts, iface string) map[string]bool {
	out := map[string]bool{}
	start := strings.Index(dts, "export interface "+iface+" ")
	if start < 0 {
		return out
	}
	end := strings.Index(dts[start:], "\n}")
	if end < 0 {
		return out
	}
	for _, m := range reMemberDecl.FindAllStringSubmatch(dts[start:start+end], -1) {
		out[m[1]] = m[2] == ""
	}
	return out
}

var reMemberDecl = regexp.MustCompile(`readonly ([A-Za-z0-9]+)(\??):`)
