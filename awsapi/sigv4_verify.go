package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SigV4 verification, as AWS documents "Create a signed AWS API request":
// the server rebuilds the canonical request from what it received, the
// string to sign from the request's date and credential scope, derives the
// signing key from the secret it holds for the access key, and compares.

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
	// UnsignedPayload is the payload hash of a request whose body is not
	// signed (X-Amz-Content-Sha256: UNSIGNED-PAYLOAD).
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// MaxClockSkew is how far a signed request's X-Amz-Date may be from the
	// server's clock, as AWS allows ("within five minutes").
	MaxClockSkew = 5 * time.Minute
	// maxPresignExpiry is the longest X-Amz-Expires AWS accepts (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour
)

// signedRequest is what a request's signature says: from its Authorization
// header or from a presigned URL's X-Amz-* parameters.
type signedRequest struct {
	Scope
	SignedHeaders []string // lower case, as listed
	Signature     string
	Date          time.Time // X-Amz-Date (or Date)
	AmzDate       string    // as sent
	Presigned     bool
	Expires       time.Duration // presigned only
	SessionToken  string
}

// parseSignature reads the signature of r. ok is false when r carries none
// (no Authorization header, no X-Amz-Signature/X-Amz-Credential); a
// malformed one is an IncompleteSignature error.
func parseSignature(r *http.Request) (s signedRequest, ok bool, err *Error) {
	q := r.URL.Query()
	h := r.Header.Get("Authorization")
	switch {
	case h != "":
		alg, rest, _ := strings.Cut(h, " ")
		if alg != sigAlgorithm {
			return s, false, Errorf(CodeIncompleteSig, "Authorization header must use %s, got %q", sigAlgorithm, truncate(alg, 40))
		}
		var cred, signed string
		for part := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signed = v
			case "Signature":
				s.Signature = v
			}
		}
		for _, need := range []struct{ name, v string }{{"Credential", cred}, {"Signature", s.Signature}, {"SignedHeaders", signed}} {
			if need.v == "" {
				return s, false, Errorf(CodeIncompleteSig, "Authorization header requires '%s' parameter. Authorization=%s", need.name, truncate(h, 200))
			}
		}
		if s.Scope, err = parseCredential(cred); err != nil {
			return s, false, err
		}
		s.SignedHeaders = strings.Split(signed, ";")
		s.AmzDate = r.Header.Get("X-Amz-Date")
		if s.AmzDate == "" {
			s.AmzDate = r.Header.Get("Date")
		}
		if s.AmzDate == "" {
			return s, false, Errorf(CodeIncompleteSig, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s", truncate(h, 200))
		}
		s.SessionToken = r.Header.Get("X-Amz-Security-Token")
	case q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential"):
		s.Presigned = true
		if a := q.Get("X-Amz-Algorithm"); a != sigAlgorithm {
			return s, false, Errorf(CodeIncompleteSig, "X-Amz-Algorithm must be %s, got %q", sigAlgorithm, truncate(a, 40))
		}
		for _, p := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"} {
			if q.Get(p) == "" {
				return s, false, Errorf(CodeIncompleteSig, "AWS query-string parameters must include '%s'. Re-examine the query-string parameters.", p)
			}
		}
		if s.Scope, err = parseCredential(q.Get("X-Amz-Credential")); err != nil {
			return s, false, err
		}
		s.Signature, s.AmzDate = q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		s.SignedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		secs, perr := strconv.Atoi(q.Get("X-Amz-Expires"))
		if perr != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
			return s, false, Errorf(CodeIncompleteSig, "X-Amz-Expires must be a number of seconds from 1 to %d, got %q", int(maxPresignExpiry.Seconds()), truncate(q.Get("X-Amz-Expires"), 20))
		}
		s.Expires = time.Duration(secs) * time.Second
		s.SessionToken = q.Get("X-Amz-Security-Token")
	default:
		return s, false, nil
	}
	t, perr := time.Parse(amzDateFmt, s.AmzDate)
	if perr != nil {
		// The Date header may be in HTTP's format.
		if t, perr = http.ParseTime(s.AmzDate); perr != nil {
			return s, false, Errorf(CodeIncompleteSig, "the request's date %q is not in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'", truncate(s.AmzDate, 40))
		}
	}
	s.Date = t.UTC()
	if !slices.Contains(s.SignedHeaders, "host") {
		return s, false, Errorf(CodeIncompleteSig, "the signed headers must include host: %s", strings.Join(s.SignedHeaders, ";"))
	}
	return s, true, nil
}

func parseCredential(cred string) (Scope, *Error) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return Scope{}, Errorf(CodeIncompleteSig, "credential must have the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request, got %q", truncate(cred, 120))
	}
	return Scope{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

// checkTime refuses a signature made too far from now: a header
// signature's date must be within MaxClockSkew of now, a presigned URL
// must not have expired. The message is AWS's; the caller picks the code.
func (s *signedRequest) checkTime(now time.Time) string {
	now = now.UTC()
	if s.Scope.Date != s.Date.Format("20060102") {
		return fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.Scope.Date, s.Date.Format("20060102"), s.AmzDate)
	}
	if s.Presigned {
		if s.Date.After(now.Add(MaxClockSkew)) {
			return fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
				s.Date.Format(amzDateFmt), now.Add(MaxClockSkew).Format(amzDateFmt), now.Format(amzDateFmt))
		}
		if exp := s.Date.Add(s.Expires); !now.Before(exp) {
			return fmt.Sprintf("Signature expired: %s is now earlier than %s (%s + %d s.)",
				exp.Format(amzDateFmt), now.Format(amzDateFmt), s.Date.Format(amzDateFmt), int(s.Expires.Seconds()))
		}
		return ""
	}
	if s.Date.Before(now.Add(-MaxClockSkew)) {
		return fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			s.Date.Format(amzDateFmt), now.Add(-MaxClockSkew).Format(amzDateFmt), now.Format(amzDateFmt))
	}
	if s.Date.After(now.Add(MaxClockSkew)) {
		return fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			s.Date.Format(amzDateFmt), now.Add(MaxClockSkew).Format(amzDateFmt), now.Format(amzDateFmt))
	}
	return ""
}

// payloadHash is the hex SHA-256 of body, or what X-Amz-Content-Sha256
// says when present (checked against the body unless UNSIGNED-PAYLOAD).
// ok is false when the header names a hash the body does not have.
func payloadHash(r *http.Request, body []byte, presigned bool) (hash string, ok bool) {
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == "" && presigned:
		// A presigned URL signs its body only when the signer had one
		// (botocore signs the empty body's hash for a GET); an S3-style
		// URL says UNSIGNED-PAYLOAD. Both are tried by the caller.
		return actual, true
	case declared == "":
		return actual, true
	case declared == UnsignedPayload:
		return UnsignedPayload, true
	default:
		return declared, strings.EqualFold(declared, actual)
	}
}

// canonicalRequest builds the canonical request of r as the signer saw it.
func canonicalRequest(r *http.Request, signed []string, hash string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(hash)
	return b.String()
}

// canonicalURI is the path as sent (still percent-encoded), encoded once
// more: every service but S3 signs its path double-encoded, as botocore
// and aws-sdk-go-v2 do.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// canonicalQuery sorts the query's parameters by name, then value, each
// URI-encoded; a presigned URL's own X-Amz-Signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var params []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	slices.SortFunc(params, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// uriEncode percent-encodes every byte but the unreserved characters
// (A-Z a-z 0-9 - _ . ~), and '/' unless encodeSlash, in upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalHeaderValue is a header's values joined by commas, each trimmed
// with inner runs of spaces made one. net/http moves Host and
// Content-Length out of the header map, so they come from the request.
func canonicalHeaderValue(r *http.Request, name string) string {
	var raw []string
	switch name {
	case "host":
		raw = []string{r.Host}
	case "content-length":
		raw = r.Header.Values(name)
		if len(raw) == 0 && r.ContentLength >= 0 {
			raw = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		raw = r.Header.Values(name)
	}
	vals := make([]string, len(raw)) // Values shares the header's slice
	for i, v := range raw {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// stringToSign is the string SigV4 signs for a canonical request.
func stringToSign(s *signedRequest, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return sigAlgorithm + "\n" + s.AmzDate + "\n" + s.Scope.Date + "/" + s.Region + "/" + s.Service + "/aws4_request\n" + hex.EncodeToString(sum[:])
}

// signingKey derives the key for one day, region and service.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signatureMatches reports whether s's signature is what secret makes of
// r with the given payload hash.
func signatureMatches(r *http.Request, s *signedRequest, secret, hash string) bool {
	canonical := canonicalRequest(r, s.SignedHeaders, hash, s.Presigned)
	want := hmacSHA256(signingKey(secret, s.Scope.Date, s.Region, s.Service), stringToSign(s, canonical))
	got, err := hex.DecodeString(s.Signature)
	return err == nil && hmac.Equal(got, want)
}
