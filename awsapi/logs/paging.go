package logs

import (
	"encoding/base64"
	"strings"
)

// Pagination tokens of the Describe and Filter operations are opaque to
// clients: a cursor tagged with the list it came from, base64-encoded, so a
// token from one call is refused by another.

func encodeToken(list, cursor string) *string {
	return new(base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + cursor)))
}

func decodeToken(list string, tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", invalidParam("The specified nextToken is invalid: pass the nextToken of the previous response unchanged.")
	}
	l, cursor, ok := strings.Cut(string(b), "\x00")
	if !ok || l != list {
		return "", invalidParam("The specified nextToken is invalid: it was returned by a different call.")
	}
	return cursor, nil
}

// limitOr is a request's limit, or def when it has none (the model has
// already checked its range).
func limitOr(limit *int32, def int) int {
	if limit == nil {
		return def
	}
	return int(*limit)
}
