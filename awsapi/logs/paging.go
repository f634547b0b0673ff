package logs

import (
	"github.com/wharfhq/wharf/awsapi"
)

// Pagination tokens of the Describe and Filter operations are opaque to
// clients: a cursor tagged with the list it came from, base64-encoded, so a
// token from one call is refused by another.

func encodeToken(list, cursor string) *string {
	return new(awsapi.PageToken(list, cursor))
}

func decodeToken(list string, tok *string) (string, error) {
	last, ok := awsapi.ParsePageToken(list, tok)
	if !ok {
		return "", invalidParam("The specified nextToken is invalid: pass the nextToken of the previous response unchanged.")
	}
	return last, nil
}

// limitOr is a request's limit, or def when it has none (the model has
// already checked its range).
func limitOr(limit *int32, def int) int {
	if limit == nil {
		return def
	}
	return int(*limit)
}
