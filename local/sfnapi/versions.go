package sfnapi

import (
	"context"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// State machine versions and aliases (PublishStateMachineVersion,
// CreateStateMachineAlias and their list/describe/update/delete siblings).

type publishIn struct {
	StateMachineArn *string `json:"stateMachineArn"`
	RevisionID      *string `json:"revisionId"`
	Description     *string `json:"description"`
}

func (h *Handler) publishStateMachineVersion(ctx context.Context, in *publishIn) (any, error) {
	var v validator
	v.required("stateMachineArn", in.StateMachineArn != nil)
	v.length("stateMachineArn", in.StateMachineArn, 1, 256)
	v.length("description", in.Description, 0, 256)
	if err := v.err(); err != nil {
		return nil, err
	}
	ver, err := h.eng.PublishStateMachineVersion(ctx, *in.StateMachineArn, deref(in.RevisionID, ""), deref(in.Description, ""))
	if err != nil {
		return nil, err
	}
	return struct {
		CreationDate           epoch  `json:"creationDate"`
		StateMachineVersionArn string `json:"stateMachineVersionArn"`
	}{epoch(ver.CreationDate), ver.Arn}, nil
}

type listForMachineIn struct {
	MaxResults      *int    `json:"maxResults"`
	NextToken       *string `json:"nextToken"`
	StateMachineArn *string `json:"stateMachineArn"`
}

func (in *listForMachineIn) check() error {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	v.required("stateMachineArn", in.StateMachineArn != nil)
	v.length("stateMachineArn", in.StateMachineArn, 1, 256)
	return v.err()
}

type versionListItem struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	CreationDate           epoch  `json:"creationDate"`
}

func (h *Handler) listStateMachineVersions(ctx context.Context, in *listForMachineIn) (any, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	vs, err := h.eng.ListStateMachineVersions(ctx, *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(len(vs), func(i int) string { return vs[i].Arn }, in.MaxResults, in.NextToken, "ListStateMachineVersions/"+*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	items := []versionListItem{}
	for _, v := range vs[lo:hi] {
		items = append(items, versionListItem{v.Arn, epoch(v.CreationDate)})
	}
	return struct {
		StateMachineVersions []versionListItem `json:"stateMachineVersions"`
		NextToken            *string           `json:"nextToken,omitempty"`
	}{items, next}, nil
}

type versionArnIn struct {
	StateMachineVersionArn *string `json:"stateMachineVersionArn"`
}

func (h *Handler) deleteStateMachineVersion(ctx context.Context, in *versionArnIn) (any, error) {
	if err := requireArn("stateMachineVersionArn", in.StateMachineVersionArn); err != nil {
		return nil, err
	}
	return empty{}, h.eng.DeleteStateMachineVersion(ctx, *in.StateMachineVersionArn)
}

type routingItem struct {
	StateMachineVersionArn *string `json:"stateMachineVersionArn"`
	Weight                 *int    `json:"weight"`
}

type routingOut struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

// routing checks routingConfiguration's members and converts them.
func routing(items []routingItem, v *validator) []statemachine.RoutingConfig {
	out := make([]statemachine.RoutingConfig, 0, len(items))
	for _, it := range items {
		v.required("routingConfiguration.member.stateMachineVersionArn", it.StateMachineVersionArn != nil)
		v.required("routingConfiguration.member.weight", it.Weight != nil)
		v.between("routingConfiguration.member.weight", it.Weight, 0, 100)
		if it.StateMachineVersionArn != nil && it.Weight != nil {
			out = append(out, statemachine.RoutingConfig{VersionArn: *it.StateMachineVersionArn, Weight: *it.Weight})
		}
	}
	return out
}

type createAliasIn struct {
	Name                 *string       `json:"name"`
	Description          *string       `json:"description"`
	RoutingConfiguration []routingItem `json:"routingConfiguration"`
}

func (h *Handler) createStateMachineAlias(ctx context.Context, in *createAliasIn) (any, error) {
	var v validator
	v.required("name", in.Name != nil)
	v.length("name", in.Name, 1, 80)
	v.length("description", in.Description, 0, 256)
	v.required("routingConfiguration", in.RoutingConfiguration != nil)
	rc := routing(in.RoutingConfiguration, &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := h.eng.CreateStateMachineAlias(ctx, statemachine.CreateStateMachineAliasInput{Name: *in.Name, Description: deref(in.Description, ""), Routing: rc})
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineAliasArn string `json:"stateMachineAliasArn"`
		CreationDate         epoch  `json:"creationDate"`
	}{a.AliasArn, epoch(a.CreationDate)}, nil
}

type aliasArnIn struct {
	StateMachineAliasArn *string `json:"stateMachineAliasArn"`
}

func (h *Handler) describeStateMachineAlias(ctx context.Context, in *aliasArnIn) (any, error) {
	if err := requireArn("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	a, err := h.eng.DescribeStateMachineAlias(ctx, *in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	rc := []routingOut{}
	for _, r := range a.Routing {
		rc = append(rc, routingOut{r.VersionArn, r.Weight})
	}
	return struct {
		StateMachineAliasArn string       `json:"stateMachineAliasArn"`
		Name                 string       `json:"name"`
		Description          string       `json:"description,omitempty"`
		RoutingConfiguration []routingOut `json:"routingConfiguration"`
		CreationDate         epoch        `json:"creationDate"`
		UpdateDate           epoch        `json:"updateDate"`
	}{a.AliasArn, a.Name, a.Description, rc, epoch(a.CreationDate), epoch(a.UpdateDate)}, nil
}

type updateAliasIn struct {
	StateMachineAliasArn *string       `json:"stateMachineAliasArn"`
	Description          *string       `json:"description"`
	RoutingConfiguration []routingItem `json:"routingConfiguration"`
}

func (h *Handler) updateStateMachineAlias(ctx context.Context, in *updateAliasIn) (any, error) {
	var v validator
	v.required("stateMachineAliasArn", in.StateMachineAliasArn != nil)
	v.length("stateMachineAliasArn", in.StateMachineAliasArn, 1, 256)
	v.length("description", in.Description, 0, 256)
	var rc []statemachine.RoutingConfig
	if in.RoutingConfiguration != nil {
		rc = routing(in.RoutingConfiguration, &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, &apiError{Code: "ValidationException", Message: "Either the description or the RoutingConfiguration must be specified"}
	}
	a, err := h.eng.UpdateStateMachineAlias(ctx, statemachine.UpdateStateMachineAliasInput{AliasArn: *in.StateMachineAliasArn, Description: in.Description, Routing: rc})
	if err != nil {
		return nil, err
	}
	return struct {
		UpdateDate epoch `json:"updateDate"`
	}{epoch(a.UpdateDate)}, nil
}

func (h *Handler) deleteStateMachineAlias(ctx context.Context, in *aliasArnIn) (any, error) {
	if err := requireArn("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	return empty{}, h.eng.DeleteStateMachineAlias(ctx, *in.StateMachineAliasArn)
}

type aliasListItem struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
	CreationDate         epoch  `json:"creationDate"`
}

func (h *Handler) listStateMachineAliases(ctx context.Context, in *listForMachineIn) (any, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	as, err := h.eng.ListStateMachineAliases(ctx, *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(len(as), func(i int) string { return as[i].AliasArn }, in.MaxResults, in.NextToken, "ListStateMachineAliases/"+*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	items := []aliasListItem{}
	for _, a := range as[lo:hi] {
		items = append(items, aliasListItem{a.AliasArn, epoch(a.CreationDate)})
	}
	return struct {
		StateMachineAliases []aliasListItem `json:"stateMachineAliases"`
		NextToken           *string         `json:"nextToken,omitempty"`
	}{items, next}, nil
}
