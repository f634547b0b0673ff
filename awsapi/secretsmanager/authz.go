package secretsmanager

import (
	"context"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// ResourceTags is the authorizer's tag lookup (awsapi.TagLookup) for
// secrets, for the aws:ResourceTag/KEY and secretsmanager:ResourceTag/KEY
// condition keys. It takes a secret's full ARN, or the ARN the authorizer
// builds for a secret named by name (NAME-?????? in place of the random
// suffix). A secret that does not exist has no tags.
func (a *API) ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return nil, nil
	}
	sc := model.Scope{Region: parts[3], Account: parts[4]}
	id := arn
	if name, ok := strings.CutSuffix(parts[6], "-??????"); ok {
		id = name
	}
	var out map[string]string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		rec, ok, err := find(tx, sc, id, a.Now().UTC())
		if err != nil || !ok {
			return err
		}
		out = make(map[string]string, len(rec.Tags))
		for _, t := range rec.Tags {
			if t.Key != nil {
				out[*t.Key] = shape.ToString(t.Value)
			}
		}
		return nil
	})
	return out, err
}
