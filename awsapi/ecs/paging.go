package ecs

import (
	"github.com/wharfhq/wharf/awsapi"
)

// ECS's lists page through the shared cursor (awsapi.Cursor): records in
// key order through awsapi.StorePage, computed lists with awsapi.SlicePage.
// What is ECS's own is the wording of a bad token or page size.

// badToken is ECS's answer to a nextToken it did not hand out for the list.
func badToken() error {
	return invalidParam("Invalid nextToken: pass the nextToken of the previous response unchanged.")
}

// decodeToken is the sort key a token of list resumes after ("" for none).
func decodeToken(list string, tok *string) (string, error) {
	c, err := awsapi.ParseCursor(list, tok, badToken())
	return c.After, err
}

// pageSize applies ECS's limits to maxResults: default def, between 1 and max.
func pageSize(maxResults *int32, def, max int) (int, error) {
	if maxResults == nil {
		return def, nil
	}
	n := int(*maxResults)
	if n < 1 || n > max {
		return 0, invalidParam("maxResults must be between 1 and %d, got %d.", max, n)
	}
	return n, nil
}

// openPage is the page a List request asks for: the cursor its nextToken
// resumes (in list's tokens) and its size within ECS's limits.
func openPage(list string, tok *string, maxResults *int32, def, max int) (awsapi.Cursor, int, error) {
	size, err := pageSize(maxResults, def, max)
	if err != nil {
		return awsapi.Cursor{}, 0, err
	}
	c, err := awsapi.ParseCursor(list, tok, badToken())
	return c, size, err
}
