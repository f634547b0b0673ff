package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// RegisterTaskDefinition stores a new revision of a family.
func (a *API) RegisterTaskDefinition(ctx context.Context, in *ecstypes.RegisterTaskDefinitionRequest) (*ecstypes.RegisterTaskDefinitionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	td, err := model.NewTaskDefinition(in)
	if err != nil {
		return nil, ruleError(err)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	family := *in.Family
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		fam, _, err := store.Get[state.FamilyRecord](tx, state.FamilyKey(sc, family))
		if err != nil {
			return err
		}
		fam.Family = family
		td.Revision = fam.LastRevision + 1
		state.NoteRegistered(&fam, td.Revision)
		td.TaskDefinitionArn = new(sc.TaskDefinitionARN(family, td.Revision))
		td.Status = ecstypes.TaskDefinitionStatusActive
		td.RegisteredAt = shape.TimeOf(a.Now())
		td.RegisteredBy = new(sc.RootPrincipal())
		if err := store.Put(tx, state.FamilyKey(sc, family), fam); err != nil {
			return err
		}
		return store.Put(tx, state.TaskDefKey(sc, family, td.Revision), state.TaskDefRecord{TaskDefinition: td, Tags: in.Tags})
	})
	if err != nil {
		return nil, internal("register task definition", err)
	}
	return &ecstypes.RegisterTaskDefinitionResponse{TaskDefinition: &td, Tags: awsapi.OrEmpty(in.Tags)}, nil
}

// ruleError reports a model rule violation as ECS does: a ClientException.
func ruleError(err error) error {
	var v *model.Violation
	if errors.As(err, &v) {
		return clientError("%s", v.Message)
	}
	return err
}

// findTaskDef resolves FAMILY (latest ACTIVE revision), FAMILY:REV or an ARN.
func findTaskDef(tx store.ReadTx, sc model.Scope, ref string) (state.TaskDefRecord, error) {
	r, ok := model.ParseTaskDefRef(ref)
	if !ok {
		return state.TaskDefRecord{}, badTaskDefRef(ref)
	}
	if r.Revision > 0 {
		rec, ok, err := store.Get[state.TaskDefRecord](tx, state.TaskDefKey(sc, r.Family, r.Revision))
		if err != nil {
			return rec, err
		}
		if !ok {
			return rec, taskDefNotFound(ref)
		}
		return rec, nil
	}
	rec, ok, err := state.LatestActiveTaskDef(tx, sc, r.Family)
	if err != nil || !ok {
		if err == nil {
			err = taskDefNotFound(ref)
		}
		return state.TaskDefRecord{}, err
	}
	return rec, nil
}

// badTaskDefRef is ECS's answer for a reference that cannot name a task
// definition: a revision that is not a number is an invalid parameter; any
// other malformed name is simply not found.
func badTaskDefRef(ref string) error {
	if rev, has := model.TaskDefRevisionText(ref); has && !model.ValidRevision(rev) {
		return invalidRevision(rev)
	}
	return taskDefNotFound(ref)
}

// DescribeTaskDefinition describes one revision; with include TAGS its tags.
func (a *API) DescribeTaskDefinition(ctx context.Context, in *ecstypes.DescribeTaskDefinitionRequest) (*ecstypes.DescribeTaskDefinitionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	var rec state.TaskDefRecord
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		rec, err = findTaskDef(tx, sc, *in.TaskDefinition)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ecstypes.DescribeTaskDefinitionResponse{TaskDefinition: &rec.TaskDefinition}
	if slices.Contains(in.Include, ecstypes.TaskDefinitionFieldTags) {
		out.Tags = awsapi.OrEmpty(rec.Tags)
	}
	return out, nil
}

// ListTaskDefinitions lists revision ARNs, by family then revision.
func (a *API) ListTaskDefinitions(ctx context.Context, in *ecstypes.ListTaskDefinitionsRequest) (*ecstypes.ListTaskDefinitionsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken("task-definitions", in.NextToken)
	if err != nil {
		return nil, err
	}
	status := in.Status
	if status == "" {
		status = ecstypes.TaskDefinitionStatusActive
	}
	prefix := state.TaskDefsPrefix(sc)
	if f := derefStr(in.FamilyPrefix); f != "" {
		// ECS matches familyPrefix against whole family names.
		prefix = state.FamilyRevsPrefix(sc, f)
	}
	type item struct{ key, arn string }
	var items []item
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		recs, err := store.List[state.TaskDefRecord](tx, prefix)
		for _, r := range recs {
			if r.TaskDefinition.Status == status {
				td := r.TaskDefinition
				items = append(items, item{state.TaskDefKey(sc, *td.Family, td.Revision), *td.TaskDefinitionArn})
			}
		}
		return err
	})
	if err != nil {
		return nil, internal("list task definitions", err)
	}
	desc := in.Sort == ecstypes.SortOrderDesc
	if desc {
		slices.Reverse(items)
	}
	pageItems, next := pageOrdered(items, func(i item) string { return i.key }, after, size, desc)
	out := &ecstypes.ListTaskDefinitionsResponse{TaskDefinitionArns: []string{}}
	for _, i := range pageItems {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, i.arn)
	}
	if next != "" {
		out.NextToken = new(awsapi.PageToken("task-definitions", next))
	}
	return out, nil
}

// ListTaskDefinitionFamilies lists family names: ACTIVE (default) families
// have an ACTIVE revision, INACTIVE ones have none, ALL lists both.
func (a *API) ListTaskDefinitionFamilies(ctx context.Context, in *ecstypes.ListTaskDefinitionFamiliesRequest) (*ecstypes.ListTaskDefinitionFamiliesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken("families", in.NextToken)
	if err != nil {
		return nil, err
	}
	var fams []state.FamilyRecord
	if err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		fams, err = store.List[state.FamilyRecord](tx, state.FamiliesPrefix(sc))
		return err
	}); err != nil {
		return nil, internal("list task definition families", err)
	}
	prefix := derefStr(in.FamilyPrefix)
	fams = slices.DeleteFunc(fams, func(f state.FamilyRecord) bool {
		switch {
		case !strings.HasPrefix(f.Family, prefix):
			return true
		case in.Status == ecstypes.TaskDefinitionFamilyStatusAll:
			return false
		case in.Status == ecstypes.TaskDefinitionFamilyStatusInactive:
			return f.Active > 0
		default:
			return f.Active == 0
		}
	})
	items, next := page(fams, func(f state.FamilyRecord) string { return f.Family }, after, size)
	out := &ecstypes.ListTaskDefinitionFamiliesResponse{Families: []string{}}
	for _, f := range items {
		out.Families = append(out.Families, f.Family)
	}
	if next != "" {
		out.NextToken = new(awsapi.PageToken("families", next))
	}
	return out, nil
}

// DeregisterTaskDefinition marks a revision INACTIVE; it stays describable
// and running tasks and services keep using it.
func (a *API) DeregisterTaskDefinition(ctx context.Context, in *ecstypes.DeregisterTaskDefinitionRequest) (*ecstypes.DeregisterTaskDefinitionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if _, has := model.TaskDefRevisionText(*in.TaskDefinition); !has {
		return nil, clientError("%s", msgRevisionMissing)
	}
	var out ecstypes.TaskDefinition
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, err := findTaskDef(tx, sc, *in.TaskDefinition)
		if err != nil {
			return err
		}
		td := &rec.TaskDefinition
		if td.Status == ecstypes.TaskDefinitionStatusActive {
			td.Status = ecstypes.TaskDefinitionStatusInactive
			td.DeregisteredAt = shape.TimeOf(a.Now())
			if err := a.noteDeregistered(tx, sc, *td.Family, td.Revision); err != nil {
				return err
			}
			if err := store.Put(tx, state.TaskDefKey(sc, *td.Family, td.Revision), rec); err != nil {
				return err
			}
		}
		out = *td
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeregisterTaskDefinitionResponse{TaskDefinition: &out}, nil
}

func (a *API) noteDeregistered(tx store.Tx, sc model.Scope, family string, rev int32) error {
	fam, ok, err := store.Get[state.FamilyRecord](tx, state.FamilyKey(sc, family))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("family record %s missing", family)
	}
	if err := state.NoteDeregistered(tx, sc, &fam, rev); err != nil {
		return err
	}
	return store.Put(tx, state.FamilyKey(sc, family), fam)
}

// DeleteTaskDefinitions moves up to 10 INACTIVE revisions to
// DELETE_IN_PROGRESS; ACTIVE or unknown ones are failures.
func (a *API) DeleteTaskDefinitions(ctx context.Context, in *ecstypes.DeleteTaskDefinitionsRequest) (*ecstypes.DeleteTaskDefinitionsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if len(in.TaskDefinitions) == 0 || len(in.TaskDefinitions) > 10 {
		return nil, invalidParam("taskDefinitions must name between 1 and 10 task definitions, got %d.", len(in.TaskDefinitions))
	}
	out := &ecstypes.DeleteTaskDefinitionsResponse{TaskDefinitions: []ecstypes.TaskDefinition{}, Failures: []ecstypes.Failure{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		for _, ref := range in.TaskDefinitions {
			fail := func(reason, detail string) {
				arn := ref
				if r, ok := model.ParseTaskDefRef(ref); ok && r.Revision > 0 {
					arn = sc.TaskDefinitionARN(r.Family, r.Revision)
				}
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(arn), Reason: new(reason), Detail: new(detail)})
			}
			if r, ok := model.ParseTaskDefRef(ref); !ok || r.Revision == 0 {
				fail("INVALID_ARGUMENT", "Name a revision as FAMILY:REVISION or its full ARN.")
				continue
			}
			rec, err := findTaskDef(tx, sc, ref)
			if err != nil {
				if _, isAPI := awsapi.AsError(err); !isAPI {
					return err
				}
				fail("MISSING", "The task definition does not exist.")
				continue
			}
			td := &rec.TaskDefinition
			if td.Status == ecstypes.TaskDefinitionStatusActive {
				fail("TASK_DEFINITION_ACTIVE", "The task definition is ACTIVE: deregister it before deleting it.")
				continue
			}
			td.Status = ecstypes.TaskDefinitionStatusDeleteInProgress
			if err := store.Put(tx, state.TaskDefKey(sc, *td.Family, td.Revision), rec); err != nil {
				return err
			}
			out.TaskDefinitions = append(out.TaskDefinitions, *td)
		}
		return nil
	})
	if err != nil {
		return nil, internal("delete task definitions", err)
	}
	return out, nil
}
