package export

import (
	"fmt"
	"strings"
)

// Prefixes are the S3 key prefixes of the export bucket (each ends in "/").
// Terraform passes the same values to the functions as STEPWISE_PREFIX_*
// environment variables and limits each step's role to the prefixes it
// needs, so the layout below is also the permission model.
type Prefixes struct {
	Requests  string // export request objects; one landing here starts an export
	Uploads   string // source data uploaded for exports
	Work      string // per-execution scratch space; cleanup removes it
	Approvals string // pending/ and decided/ approval records
	Exports   string // published exports; nothing but publish writes here
}

// DefaultPrefixes are the prefixes Terraform uses by default.
var DefaultPrefixes = Prefixes{
	Requests:  "requests/",
	Uploads:   "uploads/",
	Work:      "work/",
	Approvals: "approvals/",
	Exports:   "exports/",
}

// Layout names every S3 key one execution reads or writes. All work files
// of an execution live under WorkDir, so cleanup removes them with one
// prefix and a retried step overwrites exactly what its first attempt wrote.
//
//	work/<execution>/plan.json              the normalized request, header, sources ([Plan])
//	work/<execution>/parts.json             the part manifest, a JSON array the Map's ItemReader reads ([PartSpec])
//	work/<execution>/parts/<nnnnn>.<ext>    one exported part
//	work/<execution>/parts/<nnnnn>.json     that part's result ([PartResult])
//	work/<execution>/rejected/<nnnnn>.csv   malformed rows of that part, with row numbers
//	work/<execution>/map/                   the Distributed Map's ResultWriter output
//	work/<execution>/merged.<ext>           the merged export, waiting for approval
//	work/<execution>/merge.json             the merge result ([MergeResult])
//	approvals/pending/<execution>.json      a pending approval ([ApprovalRecord])
//	approvals/decided/<execution>.json      the same record once decided
//	exports/<execution>/<name>.<ext>        the published export (unless the request names output.key)
//	<export key>.manifest.json              the published manifest ([Manifest])
type Layout struct {
	Prefixes  Prefixes
	Execution string // the execution name
}

// WorkDir is the prefix of every work file of the execution.
func (l Layout) WorkDir() string { return l.Prefixes.Work + l.Execution + "/" }

// PlanKey is the key of the plan document.
func (l Layout) PlanKey() string { return l.WorkDir() + "plan.json" }

// ManifestKey is the key of the part manifest the Map state reads.
func (l Layout) ManifestKey() string { return l.WorkDir() + "parts.json" }

// PartKey is the key of part n's exported rows.
func (l Layout) PartKey(n int, ext string) string {
	return fmt.Sprintf("%sparts/%05d.%s", l.WorkDir(), n, ext)
}

// PartResultKey is the key of part n's result document.
func (l Layout) PartResultKey(n int) string { return fmt.Sprintf("%sparts/%05d.json", l.WorkDir(), n) }

// RejectedKey is the key of part n's rejected rows.
func (l Layout) RejectedKey(n int) string { return fmt.Sprintf("%srejected/%05d.csv", l.WorkDir(), n) }

// MapResultPrefix is where the Distributed Map's ResultWriter writes.
func (l Layout) MapResultPrefix() string { return l.WorkDir() + "map" }

// MergedKey is the key of the merged export before publishing.
func (l Layout) MergedKey(ext string) string { return l.WorkDir() + "merged." + ext }

// MergeResultKey is the key of the merge result document.
func (l Layout) MergeResultKey() string { return l.WorkDir() + "merge.json" }

// PendingApprovalKey is the key of the execution's pending approval.
func (l Layout) PendingApprovalKey() string {
	return l.Prefixes.Approvals + "pending/" + l.Execution + ".json"
}

// DecidedApprovalKey is where publish moves the approval record.
func (l Layout) DecidedApprovalKey() string {
	return l.Prefixes.Approvals + "decided/" + l.Execution + ".json"
}

// ExportKey is the default key of the published export.
func (l Layout) ExportKey(name, ext string) string {
	if name == "" {
		name = "export"
	}
	return l.Prefixes.Exports + l.Execution + "/" + safeName(name) + "." + ext
}

// ManifestKeyFor returns the key of the published manifest next to an
// export key.
func ManifestKeyFor(exportKey string) string { return exportKey + ".manifest.json" }

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
