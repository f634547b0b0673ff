package awsapi

import (
	"encoding/base64"
	"strings"
)

// Pagination tokens are opaque to clients: the sort key of the last item
// returned, tagged with the list it came from and base64-encoded, so a
// token from one call is refused by another. Every service uses these two;
// each answers a bad token with its own error code.

// PageToken is the token that resumes list after the item sorting at last.
func PageToken(list, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + last))
}

// ParsePageToken returns the sort key a token of list resumes after; ""
// when there is no token. ok is false when tok is not one of list's tokens.
func ParsePageToken(list string, tok *string) (last string, ok bool) {
	if tok == nil || *tok == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", false
	}
	l, last, found := strings.Cut(string(b), "\x00")
	if !found || l != list {
		return "", false
	}
	return last, true
}
