package awsapi_test

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/awsapi"
)

func TestCheckSession(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hash := awsapi.SessionTokenHash("tok")
	tests := []struct {
		name, token string
		expires     time.Time
		code        string
	}{
		{name: "valid", token: "tok", expires: now.Add(time.Minute)},
		{name: "another token", token: "other", expires: now.Add(time.Minute), code: awsapi.CodeUnrecognizedClient},
		{name: "no token", expires: now.Add(time.Minute), code: awsapi.CodeUnrecognizedClient},
		{name: "expired now", token: "tok", expires: now, code: "ExpiredTokenException"},
		{name: "expired and another token", token: "other", expires: now.Add(-time.Minute), code: awsapi.CodeUnrecognizedClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := awsapi.CheckSession(tc.token, hash, tc.expires, now)
			if tc.code == "" && err != nil || tc.code != "" && !awsapi.IsCode(err, tc.code) {
				t.Fatalf("got %v, want code %q", err, tc.code)
			}
		})
	}
}
