package agent

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wharfhq/wharf/model"
)

func TestParseASM(t *testing.T) {
	base := "arn:aws:secretsmanager:eu-west-1:000000000000:secret:db-AbCdEf"
	tests := []struct {
		from    string
		want    asmRef
		invalid bool
	}{
		{from: base, want: asmRef{region: "eu-west-1", secretID: base}},
		{from: base + ":password::", want: asmRef{region: "eu-west-1", secretID: base, jsonKey: "password"}},
		{from: base + "::AWSPREVIOUS:", want: asmRef{region: "eu-west-1", secretID: base, stage: "AWSPREVIOUS"}},
		{from: base + ":user:AWSCURRENT:0123456789abcdef0123456789abcdef", want: asmRef{region: "eu-west-1", secretID: base, jsonKey: "user",
			stage: "AWSCURRENT", versionID: "0123456789abcdef0123456789abcdef"}},
		{from: base + ":password", invalid: true},
		{from: base + ":a:b", invalid: true},
		{from: "arn:aws:secretsmanager:eu-west-1:000000000000:db-AbCdEf", invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			a, ok := model.ParseARN(tt.from)
			if !ok {
				t.Fatal("not an ARN")
			}
			got, err := parseASM(a)
			if tt.invalid {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestCallErrorText(t *testing.T) {
	ce := &CallError{Op: "GetSecretValue", Status: 400, Body: `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`}
	if got := callErrorText(fmt.Errorf("wrapped: %w", ce)); got != "ResourceNotFoundException: Secrets Manager can't find the specified secret." {
		t.Fatalf("got %q", got)
	}
	if got := callErrorText(&CallError{Op: "X", Status: 502, Body: "bad gateway"}); got != "X: HTTP 502: bad gateway" {
		t.Fatalf("got %q", got)
	}
	if got := callErrorText(errors.New("dial tcp: refused")); got != "dial tcp: refused" {
		t.Fatalf("got %q", got)
	}
}
