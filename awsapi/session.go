package awsapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// Temporary credentials (STS's sessions, the task role credentials of the
// credentials endpoint) are minted and checked alike: the store keeps a
// hash of the session token, never the token, and a request signed with
// the access key must bring that token before the expiry.

// SessionTokenHash is what is stored of a session token: its SHA-256,
// hex-encoded.
func SessionTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckSession refuses a request signed with a temporary credential, in
// AWS's words, when its session token is not the one whose hash the
// credential was minted with, or when the credential expired by now.
func CheckSession(token, hash string, expires, now time.Time) error {
	if subtle.ConstantTimeCompare([]byte(SessionTokenHash(token)), []byte(hash)) != 1 {
		return Errorf(CodeUnrecognizedClient, "The security token included in the request is invalid.")
	}
	if !now.Before(expires) {
		return Errorf("ExpiredTokenException", "The security token included in the request is expired")
	}
	return nil
}
