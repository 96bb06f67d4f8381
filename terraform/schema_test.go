package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// providerSchema is terraform/testdata/aws-provider-schema.json, derived
// from @cdktf/provider-aws by tools/awsschema.
type providerSchema struct {
	Resources      map[string]*schemaBody `json:"resources"`
	DataSources    map[string]*schemaBody `json:"data_sources"`
	AllResources   []string               `json:"all_resources"`
	AllDataSources []string               `json:"all_data_sources"`
}

type schemaBody struct {
	Attributes map[string]struct {
		Required bool `json:"required"`
	} `json:"attributes"`
	Blocks map[string]*schemaBlock `json:"blocks"`
}

type schemaBlock struct {
	Nesting  string `json:"nesting"`
	Required bool   `json:"required"`
	schemaBody
}

func loadSchema(t *testing.T) *providerSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "aws-provider-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s providerSchema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// parseModule parses every .tf file of a module directory.
func parseModule(t *testing.T, dir string) []*hclsyntax.Body {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	p := hclparse.NewParser()
	var bodies []*hclsyntax.Body
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		bodies = append(bodies, file.Body.(*hclsyntax.Body))
	}
	return bodies
}

// Meta-arguments Terraform accepts on every resource and data block.
var metaArguments = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

// checkModuleAgainstSchema reports every unknown resource type, unknown
// argument or block, and missing required argument in the module.
func checkModuleAgainstSchema(s *providerSchema, bodies []*hclsyntax.Body) []string {
	var problems []string
	for _, body := range bodies {
		for _, blk := range body.Blocks {
			if blk.Type != "resource" && blk.Type != "data" {
				continue
			}
			typ, name := blk.Labels[0], blk.Labels[1]
			where := fmt.Sprintf("%s %s.%s (%s)", blk.Type, typ, name, blk.DefRange())
			if !strings.HasPrefix(typ, "aws_") {
				continue
			}
			schemas, all := s.Resources, s.AllResources
			if blk.Type == "data" {
				schemas, all = s.DataSources, s.AllDataSources
			}
			sch := schemas[typ]
			if sch == nil {
				if i := sort.SearchStrings(all, typ); i < len(all) && all[i] == typ {
					problems = append(problems, where+": schema not extracted; re-run go run ./terraform/tools/awsschema")
				} else {
					problems = append(problems, where+": unknown "+blk.Type+" type "+typ+" in hashicorp/aws 6.x")
				}
				continue
			}
			problems = append(problems, checkBody(where, sch, blk.Body, true)...)
		}
	}
	return problems
}

func checkBody(where string, sch *schemaBody, body *hclsyntax.Body, top bool) []string {
	var problems []string
	for name := range body.Attributes {
		if top && metaArguments[name] {
			continue
		}
		if _, ok := sch.Attributes[name]; !ok {
			if _, isBlock := sch.Blocks[name]; isBlock {
				problems = append(problems, fmt.Sprintf("%s: %s is a block, not an argument", where, name))
			} else {
				problems = append(problems, fmt.Sprintf("%s: unknown argument %q", where, name))
			}
		}
	}
	present := map[string]bool{}
	for _, b := range body.Blocks {
		name := b.Type
		if name == "dynamic" && len(b.Labels) == 1 {
			name = b.Labels[0]
			for _, c := range b.Body.Blocks {
				if c.Type == "content" && sch.Blocks[name] != nil {
					problems = append(problems, checkBody(where+" > "+name, &sch.Blocks[name].schemaBody, c.Body, false)...)
				}
			}
		}
		present[name] = true
		if top && metaBlocks[name] {
			continue
		}
		nested, ok := sch.Blocks[name]
		if !ok {
			if _, isAttr := sch.Attributes[name]; isAttr {
				problems = append(problems, fmt.Sprintf("%s: %s is an argument; write %s = ...", where, name, name))
			} else {
				problems = append(problems, fmt.Sprintf("%s: unknown block %q", where, name))
			}
			continue
		}
		if b.Type != "dynamic" {
			problems = append(problems, checkBody(where+" > "+name, &nested.schemaBody, b.Body, false)...)
		}
	}
	for name, a := range sch.Attributes {
		if a.Required {
			if _, ok := body.Attributes[name]; !ok {
				problems = append(problems, fmt.Sprintf("%s: missing required argument %q", where, name))
			}
		}
	}
	for name, b := range sch.Blocks {
		if b.Required && !present[name] {
			problems = append(problems, fmt.Sprintf("%s: missing required block %q", where, name))
		}
	}
	sort.Strings(problems)
	return problems
}

// TestRootModuleMatchesProviderSchema checks every resource and data block
// of the root module and of modules/workflow (the per-workflow resources)
// against the aws provider 6.x schema: provider plugins
// cannot be downloaded here, so `terraform validate` cannot do it.
func TestRootModuleMatchesProviderSchema(t *testing.T) {
	s := loadSchema(t)
	for _, dir := range []string{".", filepath.Join("modules", "workflow")} {
		bodies := parseModule(t, dir)
		if len(bodies) == 0 {
			t.Errorf("%s: no .tf files", dir)
		}
		for _, p := range checkModuleAgainstSchema(s, bodies) {
			t.Error(p)
		}
	}
}

// TestSchemaCheckCatchesMistakes plants the mistakes the check exists for
// and requires each to be reported.
func TestSchemaCheckCatchesMistakes(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		name, src, want string
	}{
		{"unknown type", `resource "aws_lamda_function" "x" {}`, "unknown resource type aws_lamda_function"},
		{"unknown argument", `resource "aws_sqs_queue" "x" {
			name = "q"
			retention_seconds = 5
		}`, `unknown argument "retention_seconds"`},
		{"missing required", `resource "aws_iam_role_policy" "x" { policy = "{}" }`, `missing required argument "role"`},
		{"unknown nested block", `resource "aws_sfn_state_machine" "x" {
			definition = "{}"
			role_arn = "r"
			logging { level = "ALL" }
		}`, `unknown block "logging"`},
		{"unknown nested argument", `resource "aws_sfn_state_machine" "x" {
			definition = "{}"
			role_arn = "r"
			tracing_configuration { enable = true }
		}`, `unknown argument "enable"`},
		{"block as argument", `resource "aws_sfn_state_machine" "x" {
			definition = "{}"
			role_arn = "r"
			tracing_configuration = { enabled = true }
		}`, "tracing_configuration is a block"},
		{"missing nested required", `resource "aws_s3_bucket_lifecycle_configuration" "x" {
			bucket = "b"
			rule {
				id = "a"
				status = "Enabled"
				filter {
					tag { key = "k" }
				}
			}
		}`, `missing required argument "value"`},
		{"unknown data source", `data "aws_caller_identities" "x" {}`, "unknown data type aws_caller_identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := hclparse.NewParser().ParseHCL([]byte(tt.src), "planted.tf")
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			problems := checkModuleAgainstSchema(s, []*hclsyntax.Body{f.Body.(*hclsyntax.Body)})
			if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Fatalf("planted %s: problems = %q, want one containing %q", tt.name, problems, tt.want)
			}
		})
	}
}

func readRange(file string, start, end int) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return string(data[start:end]), nil
}
