package export

import _ "embed"

// Schema is the published JSON Schema (draft 2020-12) of an export
// request, request.schema.json. [ParseRequest] enforces the same rules and
// more (cross-field checks); a test keeps the two in step.
//
//go:embed request.schema.json
var Schema []byte
