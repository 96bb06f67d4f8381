package sfnapi

import (
	"context"
)

// Activities: CreateActivity, DescribeActivity, ListActivities,
// DeleteActivity and the workers' GetActivityTask long poll. Workers
// answer with SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat
// (ops.go), as for .waitForTaskToken tasks.

// activityOperations are the activity operations of the dispatch table.
func (h *Handler) activityOperations() map[string]func(context.Context, []byte) (any, error) {
	return map[string]func(context.Context, []byte) (any, error){
		"CreateActivity":   op(h.createActivity),
		"DescribeActivity": op(h.describeActivity),
		"ListActivities":   op(h.listActivities),
		"DeleteActivity":   op(h.deleteActivity),
		"GetActivityTask":  op(h.getActivityTask),
	}
}

type createActivityIn struct {
	Name *string `json:"name"`
	Tags []tagIn `json:"tags"`
	// encryptionConfiguration is accepted and ignored.
}

func (h *Handler) createActivity(ctx context.Context, in *createActivityIn) (any, error) {
	var v validator
	v.required("name", in.Name != nil)
	v.length("name", in.Name, 1, 80)
	checkTagList(&v, in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := h.eng.CreateActivity(ctx, *in.Name, engineTags(in.Tags))
	if err != nil {
		return nil, err
	}
	return struct {
		ActivityArn  string `json:"activityArn"`
		CreationDate epoch  `json:"creationDate"`
	}{a.ActivityArn, epoch(a.CreationDate)}, nil
}

type activityArnIn struct {
	ActivityArn *string `json:"activityArn"`
}

type activityOut struct {
	ActivityArn  string `json:"activityArn"`
	Name         string `json:"name"`
	CreationDate epoch  `json:"creationDate"`
}

func (h *Handler) describeActivity(ctx context.Context, in *activityArnIn) (any, error) {
	if err := requireArn("activityArn", in.ActivityArn); err != nil {
		return nil, err
	}
	a, err := h.eng.DescribeActivity(ctx, *in.ActivityArn)
	if err != nil {
		return nil, err
	}
	return activityOut{a.ActivityArn, a.Name, epoch(a.CreationDate)}, nil
}

func (h *Handler) deleteActivity(ctx context.Context, in *activityArnIn) (any, error) {
	if err := requireArn("activityArn", in.ActivityArn); err != nil {
		return nil, err
	}
	return empty{}, h.eng.DeleteActivity(ctx, *in.ActivityArn)
}

type listActivitiesIn struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

func (h *Handler) listActivities(ctx context.Context, in *listActivitiesIn) (any, error) {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	acts, err := h.eng.ListActivities(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(len(acts), func(i int) string { return acts[i].ActivityArn }, in.MaxResults, in.NextToken, "ListActivities")
	if err != nil {
		return nil, err
	}
	items := []activityOut{}
	for _, a := range acts[lo:hi] {
		items = append(items, activityOut{a.ActivityArn, a.Name, epoch(a.CreationDate)})
	}
	return struct {
		Activities []activityOut `json:"activities"`
		NextToken  *string       `json:"nextToken,omitempty"`
	}{items, next}, nil
}

type getActivityTaskIn struct {
	ActivityArn *string `json:"activityArn"`
	WorkerName  *string `json:"workerName"`
}

// getActivityTask long-polls for a task. A poll that found none within the
// engine's poll timeout (60 s) answers {}: the SDKs then see no taskToken
// and no input, as with AWS's null ones.
func (h *Handler) getActivityTask(ctx context.Context, in *getActivityTaskIn) (any, error) {
	var v validator
	v.required("activityArn", in.ActivityArn != nil)
	v.length("activityArn", in.ActivityArn, 1, 256)
	v.length("workerName", in.WorkerName, 1, 80)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := h.eng.GetActivityTask(ctx, *in.ActivityArn, deref(in.WorkerName, ""))
	if err != nil {
		return nil, err
	}
	if t.TaskToken == "" {
		return empty{}, nil
	}
	return struct {
		TaskToken string `json:"taskToken"`
		Input     string `json:"input"`
	}{t.TaskToken, t.Input}, nil
}
