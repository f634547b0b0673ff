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
	c, size, err := openPage("task-definitions", in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	status := in.Status
	if status == "" {
		status = ecstypes.TaskDefinitionStatusActive
	}
	prefix := state.TaskDefsPrefix(sc)
	match := ""
	if f := derefStr(in.FamilyPrefix); f != "" {
		// ECS matches familyPrefix against whole family names.
		match = strings.TrimPrefix(state.FamilyRevsPrefix(sc, f), prefix)
	}
	keep := func(r *state.TaskDefRecord) bool { return r.TaskDefinition.Status == status }
	// The cursor is a revision's key after the task definitions' prefix:
	// family then zero-padded revision, the order ECS lists them in.
	key := func(r state.TaskDefRecord) string {
		return strings.TrimPrefix(state.TaskDefKey(sc, *r.TaskDefinition.Family, r.TaskDefinition.Revision), prefix)
	}
	var recs []state.TaskDefRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		if in.Sort != ecstypes.SortOrderDesc {
			recs, next, err = awsapi.StorePage(tx, prefix, match, c, size, keep)
			return err
		}
		// The store lists in ascending key order only: newest first is
		// the whole (filtered) list, reversed and sliced.
		all, err := store.List[state.TaskDefRecord](tx, prefix+match)
		all = slices.DeleteFunc(all, func(r state.TaskDefRecord) bool { return !keep(&r) })
		slices.Reverse(all)
		recs, next = awsapi.SlicePageDesc(all, key, c, size)
		return err
	})
	if err != nil {
		return nil, internal("list task definitions", err)
	}
	out := &ecstypes.ListTaskDefinitionsResponse{TaskDefinitionArns: []string{}, NextToken: next}
	for _, r := range recs {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, *r.TaskDefinition.TaskDefinitionArn)
	}
	return out, nil
}

// ListTaskDefinitionFamilies lists family names: ACTIVE (default) families
// have an ACTIVE revision, INACTIVE ones have none, ALL lists both.
func (a *API) ListTaskDefinitionFamilies(ctx context.Context, in *ecstypes.ListTaskDefinitionFamiliesRequest) (*ecstypes.ListTaskDefinitionFamiliesResponse, error) {
	c, size, err := openPage("families", in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	keep := func(f *state.FamilyRecord) bool {
		switch in.Status {
		case ecstypes.TaskDefinitionFamilyStatusAll:
			return true
		case ecstypes.TaskDefinitionFamilyStatusInactive:
			return f.Active == 0
		default:
			return f.Active > 0
		}
	}
	// familyPrefix is a prefix of the family names, so of their keys.
	fams, next, err := awsapi.ViewPage(ctx, a.DB, state.FamiliesPrefix(awsapi.ScopeOf(ctx)), derefStr(in.FamilyPrefix), c, size, keep)
	if err != nil {
		return nil, internal("list task definition families", err)
	}
	out := &ecstypes.ListTaskDefinitionFamiliesResponse{Families: []string{}, NextToken: next}
	for _, f := range fams {
		out.Families = append(out.Families, f.Family)
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
