package secretsmanager

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// secretValue is a value a request carries: SecretString or SecretBinary.
type secretValue struct {
	plain  []byte
	binary bool
}

// valueOf reads the request's value; ok is false when it carries none.
func valueOf(str *string, bin []byte) (v secretValue, ok bool, err error) {
	switch {
	case str != nil && bin != nil:
		return v, false, invalidParam("You can't specify both a binary secret value and a string secret value in the same secret.")
	case str != nil:
		return secretValue{plain: []byte(*str)}, true, nil
	case bin != nil:
		return secretValue{plain: bin, binary: true}, true, nil
	}
	return v, false, nil
}

// addVersion seals v as version id of rec and attaches stages to it. A
// version id that exists already is an idempotent retry when it holds the
// same value (reused reports true), and an error otherwise: versions never
// change.
func (a *API) addVersion(rec *secretRecord, id string, v secretValue, stages []string, now time.Time) (reused bool, err error) {
	if i := rec.versionBy(id); i >= 0 {
		old := rec.Versions[i]
		plain, err := a.kr.Open(old.Sealed, aad(rec.ARN, old.ID))
		if err != nil {
			return false, err
		}
		if old.Binary != v.binary || !bytes.Equal(plain, v.plain) {
			return false, awsapi.Errorf(codeResourceExists, "A version with ClientRequestToken %s already exists with a different value. You can't modify an existing version, you can only create new versions.", id)
		}
		return true, nil
	}
	sealed, err := a.kr.Seal(v.plain, aad(rec.ARN, id))
	if err != nil {
		return false, err
	}
	rec.Versions = append(rec.Versions, versionRecord{ID: id, Created: now, Binary: v.binary, Sealed: sealed})
	for _, s := range stages {
		rec.moveStage(s, len(rec.Versions)-1)
	}
	rec.prune()
	rec.Changed = now
	return false, nil
}

func versionID(token *string) string {
	if t := awsapi.Deref(token); t != "" {
		return t
	}
	return newVersionID()
}

// CreateSecret creates a secret, with a first version labelled AWSCURRENT
// when the request carries a value.
func (a *API) CreateSecret(ctx context.Context, in *smt.CreateSecretRequest) (*smt.CreateSecretResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := awsapi.Deref(in.Name)
	if err := checkName(name); err != nil {
		return nil, err
	}
	v, hasValue, err := valueOf(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.AddReplicaRegions) > 0 {
		return nil, invalidParam("wharf does not replicate secrets to other regions: leave AddReplicaRegions out.")
	}
	now := a.Now().UTC()
	out := &smt.CreateSecretResponse{Name: new(name)}
	key := secretKey(sc, name)
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		rec, exists, err := store.Get[secretRecord](tx, key)
		if err != nil {
			return err
		}
		if exists && !rec.gone(now) {
			if rec.scheduled() {
				return awsapi.Errorf(codeInvalidRequest, "You can't create this secret because a secret with this name is already scheduled for deletion. Restore it with RestoreSecret, or wait until it is deleted.")
			}
			// A retry of the same CreateSecret (same token, same value)
			// succeeds again; anything else is a conflict.
			if hasValue && in.ClientRequestToken != nil && rec.versionBy(*in.ClientRequestToken) >= 0 {
				if _, err := a.addVersion(&rec, *in.ClientRequestToken, v, nil, now); err != nil {
					return err
				}
				out.ARN, out.VersionId = new(rec.ARN), in.ClientRequestToken
				return nil
			}
			return awsapi.Errorf(codeResourceExists, "The operation failed because the secret %s already exists.", name)
		}
		rec = secretRecord{
			ARN: secretARN(sc, name), Name: name, Description: awsapi.Deref(in.Description),
			KmsKeyID: awsapi.Deref(in.KmsKeyId), Tags: in.Tags, Created: now, Changed: now, Versions: []versionRecord{},
		}
		if hasValue {
			id := versionID(in.ClientRequestToken)
			if _, err := a.addVersion(&rec, id, v, []string{stageCurrent}, now); err != nil {
				return err
			}
			out.VersionId = new(id)
		}
		out.ARN = new(rec.ARN)
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, wrap("CreateSecret", err)
	}
	return out, nil
}

// read reads the secret id names (not one whose recovery window has
// ended) for op.
func (a *API) read(ctx context.Context, op, id string) (secretRecord, error) {
	sc, now := awsapi.ScopeOf(ctx), a.Now().UTC()
	rec, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (secretRecord, error) { return get(tx, sc, id, now) })
	return rec, wrap(op, err)
}

// GetSecretValue opens one version of a secret: AWSCURRENT unless the
// request names a VersionId or VersionStage.
func (a *API) GetSecretValue(ctx context.Context, in *smt.GetSecretValueRequest) (*smt.GetSecretValueResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	now := a.Now().UTC()
	var rec secretRecord
	var ver versionRecord
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		var err error
		rec, err = get(tx, sc, awsapi.Deref(in.SecretId), now)
		if err != nil {
			return err
		}
		if rec.scheduled() {
			return markedForDeletion("GetSecretValue")
		}
		ver, err = pickVersion(&rec, in.VersionId, in.VersionStage)
		return err
	})
	if err != nil {
		return nil, wrap("GetSecretValue", err)
	}
	plain, err := a.kr.Open(ver.Sealed, aad(rec.ARN, ver.ID))
	if errors.Is(err, keyring.ErrOpen) {
		// The key that sealed it is gone or the value was altered: AWS's
		// answer when KMS cannot decrypt, not a 500.
		a.Log.Error("secretsmanager: a secret value does not open", "secret", rec.ARN, "version", ver.ID, "err", err)
		return nil, awsapi.Errorf("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key: the key that sealed version %s of %s is not in wharf's keyring.", ver.ID, rec.Name)
	}
	if err != nil {
		return nil, internal("GetSecretValue", err)
	}
	if day(ver.Accessed) != day(now) || day(rec.Accessed) != day(now) {
		a.touch(ctx, sc, rec.Name, ver.ID, now)
	}
	out := &smt.GetSecretValueResponse{
		ARN: new(rec.ARN), Name: new(rec.Name), VersionId: new(ver.ID),
		VersionStages: awsapi.OrEmpty(slices.Clone(ver.Stages)), CreatedDate: shape.TimeOf(ver.Created),
	}
	if ver.Binary {
		out.SecretBinary = plain
	} else {
		out.SecretString = new(string(plain))
	}
	return out, nil
}

// pickVersion finds the version a request names (AWSCURRENT by default).
func pickVersion(rec *secretRecord, id, stage *string) (versionRecord, error) {
	i := -1
	switch {
	case id != nil:
		i = rec.versionBy(*id)
		if i >= 0 && stage != nil && !slices.Contains(rec.Versions[i].Stages, *stage) {
			return versionRecord{}, awsapi.Errorf(codeResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s and staging label: %s", *id, *stage)
		}
		if i < 0 {
			return versionRecord{}, awsapi.Errorf(codeResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", *id)
		}
	default:
		s := stageCurrent
		if stage != nil {
			s = *stage
		}
		if i = rec.versionAt(s); i < 0 {
			return versionRecord{}, awsapi.Errorf(codeResourceNotFound, "Secrets Manager can't find the specified secret value for staging label: %s", s)
		}
	}
	return rec.Versions[i], nil
}

// touch records the access date of a secret and a version (best effort:
// a failure is logged, the read it follows has succeeded).
func (a *API) touch(ctx context.Context, sc model.Scope, name, version string, now time.Time) {
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key := secretKey(sc, name)
		rec, ok, err := store.Get[secretRecord](tx, key)
		if err != nil || !ok {
			return err
		}
		rec.Accessed = day(now)
		if i := rec.versionBy(version); i >= 0 {
			rec.Versions[i].Accessed = day(now)
		}
		return store.Put(tx, key, rec)
	})
	if err != nil {
		a.Log.Warn("secretsmanager: could not record the access date", "secret", name, "err", err)
	}
}

// update runs fn on the secret a SecretId names, in one transaction, and
// stores what fn leaves in rec. Secrets scheduled for deletion are refused
// unless allowScheduled.
func (a *API) update(ctx context.Context, op, secretID string, allowScheduled bool, fn func(rec *secretRecord, now time.Time) error) (secretRecord, error) {
	sc := awsapi.ScopeOf(ctx)
	now := a.Now().UTC()
	var rec secretRecord
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		var err error
		rec, err = get(tx, sc, secretID, now)
		if err != nil {
			return err
		}
		if rec.scheduled() && !allowScheduled {
			return markedForDeletion(op)
		}
		if err := fn(&rec, now); err != nil {
			return err
		}
		return store.Put(tx, secretKey(sc, rec.Name), rec)
	})
	return rec, wrap(op, err)
}

// PutSecretValue adds a version; it becomes AWSCURRENT (and the version
// that was current AWSPREVIOUS) unless VersionStages says otherwise.
func (a *API) PutSecretValue(ctx context.Context, in *smt.PutSecretValueRequest) (*smt.PutSecretValueResponse, error) {
	v, ok, err := valueOf(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalidParam("You must provide either SecretString or SecretBinary.")
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	id := versionID(in.ClientRequestToken)
	rec, err := a.update(ctx, "PutSecretValue", awsapi.Deref(in.SecretId), false, func(rec *secretRecord, now time.Time) error {
		_, err := a.addVersion(rec, id, v, stages, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &smt.PutSecretValueResponse{ARN: new(rec.ARN), Name: new(rec.Name), VersionId: new(id),
		VersionStages: awsapi.OrEmpty(slices.Clone(rec.Versions[rec.versionBy(id)].Stages))}, nil
}

// UpdateSecret changes the description or key id, and with a value adds a
// version that becomes AWSCURRENT.
func (a *API) UpdateSecret(ctx context.Context, in *smt.UpdateSecretRequest) (*smt.UpdateSecretResponse, error) {
	v, hasValue, err := valueOf(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	out := &smt.UpdateSecretResponse{}
	rec, err := a.update(ctx, "UpdateSecret", awsapi.Deref(in.SecretId), false, func(rec *secretRecord, now time.Time) error {
		if in.Description != nil {
			rec.Description = *in.Description
			rec.Changed = now
		}
		if in.KmsKeyId != nil {
			rec.KmsKeyID = *in.KmsKeyId
			rec.Changed = now
		}
		if !hasValue {
			return nil
		}
		id := versionID(in.ClientRequestToken)
		out.VersionId = new(id)
		_, err := a.addVersion(rec, id, v, []string{stageCurrent}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.ARN, out.Name = new(rec.ARN), new(rec.Name)
	return out, nil
}

// UpdateSecretVersionStage moves a staging label between versions.
func (a *API) UpdateSecretVersionStage(ctx context.Context, in *smt.UpdateSecretVersionStageRequest) (*smt.UpdateSecretVersionStageResponse, error) {
	stage := awsapi.Deref(in.VersionStage)
	rec, err := a.update(ctx, "UpdateSecretVersionStage", awsapi.Deref(in.SecretId), false, func(rec *secretRecord, now time.Time) error {
		at := rec.versionAt(stage)
		if in.RemoveFromVersionId != nil {
			from := rec.versionBy(*in.RemoveFromVersionId)
			if from < 0 || from != at {
				return invalidParam("The staging label %s is not attached to version %s.", stage, *in.RemoveFromVersionId)
			}
		}
		if in.MoveToVersionId == nil {
			if stage == stageCurrent && at >= 0 {
				return invalidParam("You can't remove the staging label AWSCURRENT: move it to another version with MoveToVersionId.")
			}
			if at >= 0 {
				rec.Versions[at].Stages = slices.DeleteFunc(rec.Versions[at].Stages, func(s string) bool { return s == stage })
			}
			rec.Changed = now
			return nil
		}
		to := rec.versionBy(*in.MoveToVersionId)
		if to < 0 {
			return awsapi.Errorf(codeResourceNotFound, "Secrets Manager can't find the version %s of this secret.", *in.MoveToVersionId)
		}
		if at >= 0 && at != to && in.RemoveFromVersionId == nil {
			return invalidParam("The staging label %s is currently attached to version %s, so you must name that version in RemoveFromVersionId.", stage, rec.Versions[at].ID)
		}
		rec.moveStage(stage, to)
		rec.Changed = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &smt.UpdateSecretVersionStageResponse{ARN: new(rec.ARN), Name: new(rec.Name)}, nil
}

// DescribeSecret answers everything about a secret except its value.
func (a *API) DescribeSecret(ctx context.Context, in *smt.DescribeSecretRequest) (*smt.DescribeSecretResponse, error) {
	rec, err := a.read(ctx, "DescribeSecret", awsapi.Deref(in.SecretId))
	if err != nil {
		return nil, err
	}
	out := &smt.DescribeSecretResponse{
		ARN: new(rec.ARN), Name: new(rec.Name), VersionIdsToStages: rec.stagesByVersion(),
		CreatedDate: shape.TimeOf(rec.Created), LastChangedDate: shape.TimeOf(rec.Changed),
		LastAccessedDate: shape.TimeOf(rec.Accessed), DeletedDate: shape.TimeOf(rec.DeletedAt),
		Tags: rec.Tags,
	}
	if rec.Description != "" {
		out.Description = new(rec.Description)
	}
	if rec.KmsKeyID != "" {
		out.KmsKeyId = new(rec.KmsKeyID)
	}
	return out, nil
}

// DeleteSecret schedules the deletion after a recovery window (7 to 30
// days, 30 by default), or deletes at once with ForceDeleteWithoutRecovery.
func (a *API) DeleteSecret(ctx context.Context, in *smt.DeleteSecretRequest) (*smt.DeleteSecretResponse, error) {
	force := awsapi.Deref(in.ForceDeleteWithoutRecovery)
	if force && in.RecoveryWindowInDays != nil {
		return nil, invalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(30)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, invalidParam("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive), got %d.", days)
		}
	}
	sc := awsapi.ScopeOf(ctx)
	now := a.Now().UTC()
	var rec secretRecord
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		var err error
		rec, err = get(tx, sc, awsapi.Deref(in.SecretId), now)
		if err != nil {
			return err
		}
		key := secretKey(sc, rec.Name)
		if force {
			rec.DeleteAfter = now
			return tx.Delete(key)
		}
		if rec.scheduled() {
			return awsapi.Errorf(codeInvalidRequest, "You can't perform this operation on the secret because it was already scheduled for deletion (on %s).", rec.DeleteAfter.Format(time.RFC3339))
		}
		rec.DeletedAt, rec.DeleteAfter = now, now.Add(time.Duration(days)*24*time.Hour)
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, wrap("DeleteSecret", err)
	}
	return &smt.DeleteSecretResponse{ARN: new(rec.ARN), Name: new(rec.Name), DeletionDate: shape.TimeOf(rec.DeleteAfter)}, nil
}

// RestoreSecret cancels a scheduled deletion.
func (a *API) RestoreSecret(ctx context.Context, in *smt.RestoreSecretRequest) (*smt.RestoreSecretResponse, error) {
	rec, err := a.update(ctx, "RestoreSecret", awsapi.Deref(in.SecretId), true, func(rec *secretRecord, now time.Time) error {
		if rec.scheduled() {
			rec.DeletedAt, rec.DeleteAfter, rec.Changed = time.Time{}, time.Time{}, now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &smt.RestoreSecretResponse{ARN: new(rec.ARN), Name: new(rec.Name)}, nil
}

// tagRules are Secrets Manager's tag rules in its words (key and value
// lengths are checked by the model).
var tagRules = awsapi.TagRules{
	Max:      50,
	TooMany:  func(n int) error { return invalidParam("A secret can have at most 50 tags, got %d.", n) },
	Reserved: func(k string) error { return invalidParam("Tag key %q uses the prefix aws:, which AWS reserves.", k) },
}

func tagKey(t smt.Tag) string             { return awsapi.Deref(t.Key) }
func tagKV(t smt.Tag) (key, value string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }

// checkTags applies the rules to the tags of a request.
func checkTags(tags []smt.Tag) error {
	if err := tagRules.Count(len(tags)); err != nil {
		return err
	}
	return awsapi.CheckTags(tagRules, tags, tagKV)
}
