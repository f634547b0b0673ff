package logs

import (
	"context"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Query definitions are Logs Insights' saved queries (the console's
// "Saved queries", Terraform's aws_cloudwatch_query_definition): a name,
// a query string and optionally the log groups it runs on. They are kept
// as CloudWatch keeps them, without checking that the query parses or
// that the groups exist, and stored by id:
//
//	qd/ACCOUNT/REGION/ID   a query definition (JSON)
//
// so DescribeQueryDefinitions lists them in id order.

// maxQueryDefinitions is CloudWatch's quota of saved queries per account
// and Region.
const maxQueryDefinitions = 1000

// queryDefRec is a query definition as stored.
type queryDefRec struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Query        string   `json:"query"`
	Groups       []string `json:"groups,omitempty"`
	Language     string   `json:"language"`
	LastModified int64    `json:"lastModified"`
}

func queryDefsPrefix(account, region string) string { return "qd/" + account + "/" + region + "/" }

func queryDefNotFound() error {
	return awsapi.Errorf(codeResourceNotFound, "The specified query definition does not exist.")
}

// PutQueryDefinition saves a query definition, or replaces the one that
// queryDefinitionId names.
func (a *API) PutQueryDefinition(ctx context.Context, in *logstypes.PutQueryDefinitionRequest) (*logstypes.PutQueryDefinitionResponse, error) {
	sc := scopeOf(ctx)
	if strings.TrimSpace(*in.Name) == "" {
		return nil, invalidParam("name must not be blank.")
	}
	if strings.TrimSpace(*in.QueryString) == "" {
		return nil, invalidParam("queryString must not be blank.")
	}
	lang := string(in.QueryLanguage)
	if lang == "" {
		lang = string(logstypes.QueryLanguageCwli)
	}
	rec := queryDefRec{ID: awsapi.Deref(in.QueryDefinitionId), Name: *in.Name, Query: *in.QueryString, Groups: in.LogGroupNames,
		Language: lang, LastModified: a.nowMillis()}
	prefix := queryDefsPrefix(sc.Account, sc.Region)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if rec.ID != "" {
			if _, ok, err := tx.Get(prefix + rec.ID); err != nil || !ok {
				if err != nil {
					return err
				}
				return queryDefNotFound()
			}
			return store.Put(tx, prefix+rec.ID, rec)
		}
		kvs, err := tx.List(prefix, "", maxQueryDefinitions)
		if err != nil {
			return err
		}
		if len(kvs) >= maxQueryDefinitions {
			return awsapi.Errorf(codeLimitExceeded, "Resource limit exceeded: an account can have at most %d query definitions in a Region.", maxQueryDefinitions)
		}
		rec.ID = newQueryID()
		return store.Put(tx, prefix+rec.ID, rec)
	})
	if err != nil {
		return nil, wrap("PutQueryDefinition", err)
	}
	return &logstypes.PutQueryDefinitionResponse{QueryDefinitionId: new(rec.ID)}, nil
}

// DescribeQueryDefinitions lists the saved queries, optionally those whose
// name starts with queryDefinitionNamePrefix or of one query language.
func (a *API) DescribeQueryDefinitions(ctx context.Context, in *logstypes.DescribeQueryDefinitionsRequest) (*logstypes.DescribeQueryDefinitionsResponse, error) {
	sc := scopeOf(ctx)
	limit := awsapi.PageLimit(in.MaxResults, maxQueryDefinitions)
	cur, err := pageCursor("DescribeQueryDefinitions", in.NextToken)
	if err != nil {
		return nil, err
	}
	namePrefix := awsapi.Deref(in.QueryDefinitionNamePrefix)
	keep := func(r *queryDefRec) bool {
		return strings.HasPrefix(r.Name, namePrefix) && (in.QueryLanguage == "" || string(in.QueryLanguage) == r.Language)
	}
	out := &logstypes.DescribeQueryDefinitionsResponse{QueryDefinitions: []logstypes.QueryDefinition{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		recs, next, err := awsapi.StorePage(tx, queryDefsPrefix(sc.Account, sc.Region), "", cur, limit, keep)
		for _, r := range recs {
			out.QueryDefinitions = append(out.QueryDefinitions, logstypes.QueryDefinition{QueryDefinitionId: new(r.ID), Name: new(r.Name),
				QueryString: new(r.Query), LogGroupNames: r.Groups, LastModified: new(r.LastModified), QueryLanguage: logstypes.QueryLanguage(r.Language)})
		}
		out.NextToken = next
		return err
	})
	if err != nil {
		return nil, wrap("DescribeQueryDefinitions", err)
	}
	return out, nil
}

// DeleteQueryDefinition deletes a saved query.
func (a *API) DeleteQueryDefinition(ctx context.Context, in *logstypes.DeleteQueryDefinitionRequest) (*logstypes.DeleteQueryDefinitionResponse, error) {
	sc := scopeOf(ctx)
	key := queryDefsPrefix(sc.Account, sc.Region) + *in.QueryDefinitionId
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if _, ok, err := tx.Get(key); err != nil || !ok {
			if err != nil {
				return err
			}
			return queryDefNotFound()
		}
		return tx.Delete(key)
	})
	if err != nil {
		return nil, wrap("DeleteQueryDefinition", err)
	}
	return &logstypes.DeleteQueryDefinitionResponse{Success: true}, nil
}
