package export

import "time"

// Job identifies one execution to a step: the state machine passes it to
// every step, small and the same for all parts.
type Job struct {
	// Execution is the execution name ($$.Execution.Name); it names the
	// work directory and the approval record.
	Execution string `json:"execution"`
	// ExecutionID is the execution ARN ($$.Execution.Id), for logs and
	// approval records.
	ExecutionID string `json:"executionId,omitempty"`
	// Bucket is the export bucket holding work files and approvals.
	Bucket string `json:"bucket"`
}

// SourceObject is one planned source object, pinned by its ETag.
type SourceObject struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// Plan is the document the plan step writes to work/<execution>/plan.json
// and every later step reads: the request with defaults applied, the source
// columns, the pinned sources and where the output goes.
type Plan struct {
	Job     Job            `json:"job"`
	Request Request        `json:"request"`
	Header  []string       `json:"header"`
	Columns []Column       `json:"columns"`
	Sources []SourceObject `json:"sources"`
	Parts   int            `json:"parts"`
	Records int64          `json:"records"`
	// OutputBucket and OutputKey are where publish puts the export.
	OutputBucket string    `json:"outputBucket"`
	OutputKey    string    `json:"outputKey"`
	PlannedAt    time.Time `json:"plannedAt"`
	// StartedBy says who or what started the export, as its input says
	// (the runner's user@host, the S3 request object of a trigger).
	StartedBy string `json:"startedBy,omitempty"`
}

// PartSpec is one item of the part manifest: a byte range of one source
// object that starts and ends on record boundaries.
type PartSpec struct {
	Part   int    `json:"part"`   // 0-based part number; part 0 carries the output header
	Source int    `json:"source"` // index into Plan.Sources
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ETag   string `json:"etag"`
	Start  int64  `json:"start"` // first byte
	End    int64  `json:"end"`   // one past the last byte
	// FirstRow is the 1-based number, within its source, of the part's
	// first data row; rejected rows are reported by row number.
	FirstRow int64 `json:"firstRow"`
	// FirstLine is the 1-based line of the source the part starts on.
	FirstLine int64 `json:"firstLine"`
	Rows      int64 `json:"rows"` // data rows in the range as the planner counted them
}

// PartResult is what exportpart writes next to a part and returns.
type PartResult struct {
	Part        int    `json:"part"`
	Key         string `json:"key"`
	RowsRead    int64  `json:"rowsRead"`
	RowsWritten int64  `json:"rowsWritten"`
	Rejected    int64  `json:"rejected"`
	RejectedKey string `json:"rejectedKey,omitempty"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"` // of the part object's bytes
	DurationMS  int64  `json:"durationMs"`
}

// MergeResult is what merge writes to work/<execution>/merge.json and
// returns.
type MergeResult struct {
	Key        string   `json:"key"` // the merged object in the work directory
	Rows       int64    `json:"rows"`
	RowsRead   int64    `json:"rowsRead"`
	Rejected   int64    `json:"rejected"`
	Bytes      int64    `json:"bytes"`
	SHA256     string   `json:"sha256"`
	Parts      int      `json:"parts"`
	Method     string   `json:"method"` // "copy" (multipart with UploadPartCopy), "stream", "parquet"
	Columns    []string `json:"columns"`
	DurationMS int64    `json:"durationMs"`
}

// ApprovalRecord is the pending approval the requestapproval step writes
// to approvals/pending/<execution>.json. The runner lists these, shows them
// to an approver, and answers with SendTaskSuccess (output
// {"decision":"approve"|"reject","approver":...,"comment":...}) or
// SendTaskFailure, using TaskToken.
type ApprovalRecord struct {
	TaskToken   string     `json:"taskToken"`
	Execution   string     `json:"execution"`
	ExecutionID string     `json:"executionId,omitempty"`
	Name        string     `json:"name,omitempty"`
	Rows        int64      `json:"rows"`
	Bytes       int64      `json:"bytes"`
	Rejected    int64      `json:"rejected"`
	Columns     []string   `json:"columns"`
	Where       string     `json:"where,omitempty"`
	Sources     []string   `json:"sources"`
	Output      string     `json:"output"` // s3://bucket/key it will be published to
	SampleRows  [][]string `json:"sampleRows"`
	RequestedAt time.Time  `json:"requestedAt"`
	ExpiresAt   time.Time  `json:"expiresAt"`
	// StartedBy is the plan's StartedBy: who or what started the export.
	StartedBy string `json:"startedBy,omitempty"`
	// Request names this approval request of this execution run (a
	// digest of the execution ARN and its redrive count): a decision link
	// names it, so it keeps working when a reminder renews the task token,
	// and stops working when a redrive asks again. Empty in records written
	// before reminders; such a record is request 0 of its execution.
	Request string `json:"request,omitempty"`
	// RedriveCount is the execution's redrive count when it asked.
	RedriveCount int `json:"redriveCount,omitempty"`
	// RemindedAt is when the reminder at half the expiry was sent (the
	// task token is then the reminder's wait's).
	RemindedAt time.Time `json:"remindedAt,omitzero"`
	// Truncated says the record shows less than the export holds, so that
	// it stays small (the requestapproval step bounds it): cut sample
	// values end in "…", and Truncation says in words what was left out
	// (fewer sample rows or columns, fewer sources or columns listed).
	// Rows, Bytes and Rejected are always exact.
	Truncated  bool     `json:"truncated,omitempty"`
	Truncation []string `json:"truncation,omitempty"`
	// ColumnCount and SourceCount are the lengths of the full lists when
	// Columns or Sources list fewer.
	ColumnCount int `json:"columnCount,omitempty"`
	SourceCount int `json:"sourceCount,omitempty"`
	// Decision fields are filled when publish moves the record to decided/.
	Decision  string    `json:"decision,omitempty"`
	Approver  string    `json:"approver,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	DecidedAt time.Time `json:"decidedAt,omitzero"`
}

// Decision is the task output an approver sends with SendTaskSuccess.
type Decision struct {
	Decision string `json:"decision"` // "approve" or "reject"
	Approver string `json:"approver,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Manifest is published next to the export.
type Manifest struct {
	Execution   string            `json:"execution"`
	Name        string            `json:"name,omitempty"`
	Bucket      string            `json:"bucket"`
	Key         string            `json:"key"`
	Format      string            `json:"format"`
	Gzip        bool              `json:"gzip"`
	Rows        int64             `json:"rows"`
	Rejected    int64             `json:"rejected"`
	Bytes       int64             `json:"bytes"`
	SHA256      string            `json:"sha256"`
	Parts       int               `json:"parts"`
	Columns     []string          `json:"columns"`
	Where       string            `json:"where,omitempty"`
	Sources     []SourceObject    `json:"sources"` // with their ETags
	Approval    *Decision         `json:"approval,omitempty"`
	Timings     map[string]string `json:"timings"` // step → duration
	PlannedAt   time.Time         `json:"plannedAt"`
	PublishedAt time.Time         `json:"publishedAt"`
}
