package awsapi

import (
	"net/http"
	"strings"
)

// Scope is what a SigV4 credential scope says about a request.
type Scope struct {
	AccessKey string
	Date      string
	Region    string
	Service   string
}

// DefaultRegion is the region of unsigned requests, as documented by DESIGN.md.
const DefaultRegion = "us-east-1"

// ParseScope reads the credential scope from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request, …")
// or from a presigned URL's X-Amz-Credential. ok is false when the request is
// unsigned; a header that is present but malformed is an IncompleteSignature
// error, as in AWS.
func ParseScope(r *http.Request) (s Scope, ok bool, err error) {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		alg, rest, _ := strings.Cut(h, " ")
		if alg != "AWS4-HMAC-SHA256" {
			return s, false, Errorf(CodeIncompleteSig, "Authorization header must use AWS4-HMAC-SHA256, got %q", truncate(alg, 40))
		}
		for part := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k == "Credential" {
				cred = v
			}
		}
		if cred == "" {
			return s, false, Errorf(CodeIncompleteSig, "Authorization header requires a 'Credential' parameter")
		}
	} else if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		cred = q
	} else {
		return s, false, nil
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return s, false, Errorf(CodeIncompleteSig, "credential must have the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request, got %q", truncate(cred, 120))
	}
	return Scope{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
