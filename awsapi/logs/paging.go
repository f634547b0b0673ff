package logs

import (
	"github.com/wharfhq/wharf/awsapi"
)

// Pagination tokens of the Describe and Filter operations are awsapi's:
// opaque, tied to the list they came from.

// pageCursor decodes a request's nextToken for list.
func pageCursor(list string, tok *string) (awsapi.Cursor, error) {
	return awsapi.ParseCursor(list, tok,
		invalidParam("The specified nextToken is invalid: pass the nextToken of the previous response unchanged."))
}
