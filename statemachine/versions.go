package statemachine

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	arnfmt "github.com/stepwise-dev/stepwise/statemachine/arn"
)

// State machine versions and aliases, as the Step Functions API has them:
//
//   - A version is an immutable snapshot of a machine's current revision
//     (definition and role), numbered 1, 2, … and never renumbered:
//     …:stateMachine:<name>:<n>. Publishing the same revision twice returns
//     the existing version.
//   - An alias, …:stateMachine:<name>:<alias>, routes StartExecution to one
//     version, or to two with weights that add up to 100.
//   - Starting through a version or alias runs that version's definition;
//     the execution is the machine's (…:execution:<name>:<id>), and
//     DescribeExecution names the version and the alias it went through.
//
// A version is kept in Engine.machines under its own ARN, so starting and
// describing it is the same lookup as for the machine itself.

const (
	maxVersions = 1000
	maxAliases  = 100
)

// qualified splits a qualified state machine ARN
// (arn:…:stateMachine:<name>:<qualifier>) into the machine's ARN and the
// qualifier; ok is false for an unqualified ARN.
func qualified(arn string) (base, qualifier string, ok bool) {
	a, err := arnfmt.Parse(arn)
	if err != nil {
		return arn, "", false
	}
	typ, rest, _ := strings.Cut(a.Resource, ":")
	_, q, ok := strings.Cut(rest, ":")
	if !ok || typ != "stateMachine" || q == "" || strings.Contains(q, ":") {
		return arn, "", false
	}
	return arn[:len(arn)-len(q)-1], q, true
}

// versionNumber returns n for a version ARN …:<name>:<n>, else 0.
func versionNumber(arn string) int {
	_, q, ok := qualified(arn)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(q)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// baseArn is the machine's own ARN for a machine or one of its versions.
func (r *smRecord) baseArn() string {
	if versionNumber(r.info.Arn) > 0 {
		base, _, _ := qualified(r.info.Arn)
		return base
	}
	return r.info.Arn
}

// versionArn is the ARN of a version, "" for the machine itself.
func (r *smRecord) versionArn() string {
	if versionNumber(r.info.Arn) > 0 {
		return r.info.Arn
	}
	return ""
}

// PublishStateMachineVersion publishes the machine's current revision as a
// new version, or returns the version that already holds this revision.
// With revisionID set, it fails with ConflictException unless that is the
// current revision ("INITIAL" names a machine never updated).
func (e *Engine) PublishStateMachineVersion(ctx context.Context, smArn, revisionID, description string) (*StateMachine, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.publishLocked(ctx, smArn, revisionID, description)
}

func (e *Engine) publishLocked(ctx context.Context, smArn, revisionID, description string) (*StateMachine, error) {
	rec, ok := e.machines[smArn]
	if !ok || versionNumber(smArn) > 0 {
		return nil, e.noMachine(smArn)
	}
	if revisionID != "" && revisionID != rec.info.RevisionID && !(revisionID == "INITIAL" && rec.initialRevision()) {
		return nil, apiErr("ConflictException", "Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", revisionID, rec.info.RevisionID)
	}
	versions := e.versionsLocked(smArn)
	for _, v := range versions {
		if v.info.RevisionID == rec.info.RevisionID {
			info := v.info
			return &info, nil
		}
	}
	if len(versions) >= maxVersions {
		return nil, apiErr("ServiceQuotaExceededException", "The maximum number of versions (%d) for the state machine %s has been reached.", maxVersions, smArn)
	}
	last := rec.nextVersion
	for _, v := range versions {
		last = max(last, versionNumber(v.info.Arn))
	}
	v := &smRecord{info: rec.info, machine: rec.machine}
	v.info.Arn = fmt.Sprintf("%s:%d", smArn, last+1)
	v.info.Description = description
	v.info.CreationDate = e.clock.Now()
	v.info.UpdateDate = v.info.CreationDate
	rec.nextVersion = last + 1
	if err := e.persistMachine(ctx, rec, v); err != nil {
		rec.nextVersion = last
		return nil, err
	}
	e.machines[v.info.Arn] = v
	info := v.info
	return &info, nil
}

// initialRevision reports whether the machine was never updated.
func (r *smRecord) initialRevision() bool { return r.info.UpdateDate.Equal(r.info.CreationDate) }

// versionsLocked returns the versions of smArn, newest first.
func (e *Engine) versionsLocked(smArn string) []*smRecord {
	var out []*smRecord
	for arn, r := range e.machines {
		if base, _, ok := qualified(arn); ok && base == smArn && versionNumber(arn) > 0 {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionNumber(out[i].info.Arn) > versionNumber(out[j].info.Arn) })
	return out
}

// ListStateMachineVersions returns a machine's versions, newest first.
func (e *Engine) ListStateMachineVersions(ctx context.Context, smArn string) ([]*StateMachine, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.machines[smArn]; !ok || versionNumber(smArn) > 0 {
		return nil, e.noMachine(smArn)
	}
	var out []*StateMachine
	for _, v := range e.versionsLocked(smArn) {
		info := v.info
		out = append(out, &info)
	}
	return out, nil
}

// DeleteStateMachineVersion deletes a version that no alias routes to.
// Deleting a version that does not exist succeeds, as on AWS.
func (e *Engine) DeleteStateMachineVersion(ctx context.Context, versionArn string) error {
	if err := invalidArn(versionArn, arnfmt.StateMachine); err != nil {
		return err
	}
	if versionNumber(versionArn) == 0 {
		return apiErr("ValidationException", "Invalid version ARN: '%s'", versionArn)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.machines[versionArn]; !ok {
		return nil
	}
	var using []string
	for _, a := range e.aliases {
		for _, rc := range a.Routing {
			if rc.VersionArn == versionArn {
				using = append(using, a.AliasArn)
			}
		}
	}
	if len(using) > 0 {
		sort.Strings(using)
		return apiErr("ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", strings.Join(using, ", "))
	}
	delete(e.machines, versionArn)
	return e.deleteKeys("sm/" + versionArn)
}

var aliasNameRE = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)

// checkRouting validates an alias's routing: one or two distinct versions
// of smArn that exist, with weights from 0 to 100 that add up to 100.
func (e *Engine) checkRouting(smArn string, routing []RoutingConfig) error {
	if len(routing) < 1 || len(routing) > 2 {
		return apiErr("ValidationException", "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2")
	}
	sum := 0
	for i, rc := range routing {
		base, _, _ := qualified(rc.VersionArn)
		if versionNumber(rc.VersionArn) == 0 || base != smArn {
			return apiErr("ValidationException", "Routing configuration must contain state machine version ARNs of the state machine %s, not '%s'", smArn, rc.VersionArn)
		}
		if _, ok := e.machines[rc.VersionArn]; !ok {
			return apiErr("ResourceNotFound", "Resource not found: '%s'", rc.VersionArn)
		}
		if rc.Weight < 0 || rc.Weight > 100 {
			return apiErr("ValidationException", "1 validation error detected: Value '%d' at 'routingConfiguration.%d.member.weight' failed to satisfy constraint: Member must have value between 0 and 100", rc.Weight, i+1)
		}
		if i == 1 && rc.VersionArn == routing[0].VersionArn {
			return apiErr("ValidationException", "Routing configuration must contain distinct state machine version ARNs. Received: [%s, %s]", routing[0].VersionArn, rc.VersionArn)
		}
		sum += rc.Weight
	}
	if sum != 100 {
		return apiErr("ValidationException", "Sum of routing configuration weights must equal 100. Received: %d", sum)
	}
	return nil
}

// CreateStateMachineAlias creates an alias of the machine whose versions
// the routing names. Creating the same alias again returns it.
func (e *Engine) CreateStateMachineAlias(ctx context.Context, in CreateStateMachineAliasInput) (*StateMachineAlias, error) {
	if !aliasNameRE.MatchString(in.Name) || strings.Trim(in.Name, "0123456789") == "" {
		return nil, apiErr("ValidationException", "Invalid alias name: '%s' (1 to 80 letters, digits, - and _, not only digits)", in.Name)
	}
	if len(in.Routing) == 0 {
		return nil, apiErr("ValidationException", "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2")
	}
	smArn, _, _ := qualified(in.Routing[0].VersionArn)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.machines[smArn]; !ok {
		return nil, e.noMachine(smArn)
	}
	if err := e.checkRouting(smArn, in.Routing); err != nil {
		return nil, err
	}
	arn := smArn + ":" + in.Name
	if old, ok := e.aliases[arn]; ok {
		if old.Description == in.Description && equalRouting(old.Routing, in.Routing) {
			a := *old
			return &a, nil
		}
		return nil, apiErr("ConflictException", "Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	}
	n := 0
	for a := range e.aliases {
		if strings.HasPrefix(a, smArn+":") {
			n++
		}
	}
	if n >= maxAliases {
		return nil, apiErr("ServiceQuotaExceededException", "The maximum number of aliases (%d) for the state machine %s has been reached.", maxAliases, smArn)
	}
	now := e.clock.Now()
	a := &StateMachineAlias{AliasArn: arn, Name: in.Name, Description: in.Description,
		Routing: append([]RoutingConfig(nil), in.Routing...), CreationDate: now, UpdateDate: now}
	if err := e.persistAlias(ctx, a); err != nil {
		return nil, err
	}
	e.aliases[arn] = a
	out := *a
	return &out, nil
}

func equalRouting(a, b []RoutingConfig) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (e *Engine) noAlias(arn string) error {
	if err := invalidArn(arn, arnfmt.StateMachine); err != nil {
		return err
	}
	return apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
}

// DescribeStateMachineAlias returns an alias.
func (e *Engine) DescribeStateMachineAlias(ctx context.Context, aliasArn string) (*StateMachineAlias, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.aliases[aliasArn]
	if !ok {
		return nil, e.noAlias(aliasArn)
	}
	out := *a
	return &out, nil
}

// UpdateStateMachineAlias changes an alias's description and/or routing.
func (e *Engine) UpdateStateMachineAlias(ctx context.Context, in UpdateStateMachineAliasInput) (*StateMachineAlias, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.aliases[in.AliasArn]
	if !ok {
		return nil, e.noAlias(in.AliasArn)
	}
	na := *a
	if in.Description != nil {
		na.Description = *in.Description
	}
	if in.Routing != nil {
		base, _, _ := qualified(a.AliasArn)
		if err := e.checkRouting(base, in.Routing); err != nil {
			return nil, err
		}
		na.Routing = append([]RoutingConfig(nil), in.Routing...)
	}
	na.UpdateDate = e.clock.Now()
	if err := e.persistAlias(ctx, &na); err != nil {
		return nil, err
	}
	e.aliases[in.AliasArn] = &na
	out := na
	return &out, nil
}

// DeleteStateMachineAlias deletes an alias; deleting a missing one succeeds.
func (e *Engine) DeleteStateMachineAlias(ctx context.Context, aliasArn string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.aliases[aliasArn]; !ok {
		if _, _, q := qualified(aliasArn); !q {
			return e.noAlias(aliasArn)
		}
		return nil
	}
	delete(e.aliases, aliasArn)
	return e.deleteKeys("al/" + aliasArn)
}

// ListStateMachineAliases returns a machine's aliases, sorted by name.
func (e *Engine) ListStateMachineAliases(ctx context.Context, smArn string) ([]*StateMachineAlias, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.machines[smArn]; !ok || versionNumber(smArn) > 0 {
		return nil, e.noMachine(smArn)
	}
	var out []*StateMachineAlias
	for arn, a := range e.aliases {
		if base, _, _ := qualified(arn); base == smArn {
			c := *a
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// resolveLocked finds what StartExecution runs for arn: the machine, one of
// its versions, or the version an alias routes this execution to (chosen by
// weight), with the alias's ARN.
func (e *Engine) resolveLocked(arn string) (rec *smRecord, aliasArn string, ok bool) {
	if rec, ok := e.machines[arn]; ok {
		return rec, "", true
	}
	a, ok := e.aliases[arn]
	if !ok {
		return nil, "", false
	}
	pick := a.Routing[0].VersionArn
	if len(a.Routing) == 2 && e.opts.Rand()*100 >= float64(a.Routing[0].Weight) {
		pick = a.Routing[1].VersionArn
	}
	rec, ok = e.machines[pick]
	return rec, a.AliasArn, ok
}

// deleteMachineLocked removes a machine with its versions and aliases.
func (e *Engine) deleteMachineLocked(arn string) error {
	keys := []string{"sm/" + arn}
	for _, v := range e.versionsLocked(arn) {
		delete(e.machines, v.info.Arn)
		keys = append(keys, "sm/"+v.info.Arn)
	}
	for a := range e.aliases {
		if base, _, _ := qualified(a); base == arn {
			delete(e.aliases, a)
			keys = append(keys, "al/"+a)
		}
	}
	delete(e.machines, arn)
	return e.deleteKeys(keys...)
}

func (e *Engine) persistAlias(ctx context.Context, a *StateMachineAlias) error {
	if e.opts.Store == nil {
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	var batch Batch
	batch.Put("al/"+a.AliasArn, b)
	if err := e.opts.Store.Commit(ctx, &batch); err != nil {
		return fmt.Errorf("statemachine: persist %s: %w", a.AliasArn, err)
	}
	return nil
}

func (e *Engine) deleteKeys(keys ...string) error {
	if e.opts.Store == nil {
		return nil
	}
	var batch Batch
	for _, k := range keys {
		batch.Delete(k)
	}
	return e.opts.Store.Commit(context.Background(), &batch)
}
