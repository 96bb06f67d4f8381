package export

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxOutputKeyBytes bounds output.key so that its manifest key
// (<key>.manifest.json) stays within S3's 1,024-byte key limit.
const MaxOutputKeyBytes = 1024 - len(".manifest.json")

// checkOutputLocation checks output.bucket and output.key on their own:
// S3's bucket naming rules, and keys that S3 stores but that no tool or
// user means (empty, "." or ".." segments, a leading "/", control
// characters). [Request.Validate] calls it, so a bad destination fails
// when the request is parsed, not at publish after the whole export ran.
func checkOutputLocation(o Output) error {
	if o.Bucket != "" {
		if why := badBucketName(o.Bucket); why != "" {
			return invalid("/output/bucket", "%q is not a valid S3 bucket name: %s", o.Bucket, why)
		}
	}
	if o.Key == "" {
		return nil
	}
	k := o.Key
	switch {
	case !utf8.ValidString(k):
		return invalid("/output/key", "%q is not valid UTF-8", k)
	case len(k) > MaxOutputKeyBytes:
		return invalid("/output/key", "is %d bytes; the limit is %d (S3 keys are at most 1024 bytes, and the manifest key adds %q)", len(k), MaxOutputKeyBytes, ".manifest.json")
	case strings.HasPrefix(k, "/"):
		return invalid("/output/key", "%q starts with \"/\"; S3 keys are relative (write %q)", k, strings.TrimLeft(k, "/"))
	case strings.HasSuffix(k, "/"):
		return invalid("/output/key", "%q ends with \"/\"; name an object, not a folder", k)
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f {
			return invalid("/output/key", "%q contains the control character %U", k, r)
		}
	}
	for i, seg := range strings.Split(k, "/") {
		switch seg {
		case "":
			return invalid("/output/key", "%q has an empty path segment (\"//\" at segment %d)", k, i+1)
		case ".", "..":
			return invalid("/output/key", "%q has a %q path segment; S3 keys are not paths, so it would be stored literally (name the object directly)", k, seg)
		}
	}
	return nil
}

// badBucketName says why name breaks S3's general purpose bucket naming
// rules, or returns "".
func badBucketName(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Sprintf("must be 3 to 63 characters long, not %d", len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return fmt.Sprintf("only lowercase letters, digits, '.' and '-' are allowed, not %q", r)
		}
	}
	first, last := name[0], name[len(name)-1]
	if !isLowerAlnum(first) || !isLowerAlnum(last) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain two adjacent periods"
	}
	if looksLikeIPv4(name) {
		return "must not be formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("must not start with %q", p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("must not end with %q", s)
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// CheckOutputPlacement checks where the export will be published
// (bucket and key, defaults applied) against the workflow's own objects,
// which Validate cannot know: exportBucket and prefixes are the export
// bucket and its layout, sources the planned source objects. It refuses
// an output (or its manifest) that would
//
//   - replace a source object, or land under the source prefix (the next
//     export of that prefix would read it as data);
//   - land under the requests prefix, where every new object starts an
//     export (the export would start exports of itself and its manifest);
//   - land under the work or approvals prefixes, which cleanup deletes and
//     lifecycle rules expire, and where the runner reads approval records.
//
// Problems are [*InvalidExportRequest]s naming /output/key.
func (r *Request) CheckOutputPlacement(bucket, key, exportBucket string, prefixes Prefixes, sources []SourceObject) error {
	const field = "/output/key"
	what := fmt.Sprintf("s3://%s/%s", bucket, key)
	if r.Output.Key == "" {
		what += " (the default key)"
	}
	manifest := ManifestKeyFor(key)
	for _, s := range sources {
		if s.Bucket != bucket {
			continue
		}
		switch s.Key {
		case key:
			return invalid(field, "%s is the export's own source; publishing would replace it (choose another key)", what)
		case manifest:
			return invalid(field, "its manifest s3://%s/%s would replace a source object (choose another key)", bucket, manifest)
		}
	}
	if p := r.Source.Prefix; p != "" && r.Source.Bucket == bucket && strings.HasPrefix(key, p) {
		return invalid(field, "%s is under the source prefix %q (/source/prefix): the next export of that prefix would read this output as data (publish outside the prefix)", what, p)
	}
	if bucket != exportBucket {
		return nil
	}
	for _, w := range []struct{ prefix, why string }{
		{prefixes.Requests, "every object there starts an export, so the output and its manifest would start two more exports"},
		{prefixes.Work, "that prefix holds per-execution scratch files, which cleanup deletes and lifecycle rules expire"},
		{prefixes.Approvals, "that prefix holds approval records, which cleanup deletes and the runner reads"},
	} {
		if w.prefix != "" && strings.HasPrefix(key, w.prefix) {
			return invalid(field, "%s is under %q: %s (publish under %q or another prefix)", what, w.prefix, w.why, prefixes.Exports)
		}
	}
	return nil
}
