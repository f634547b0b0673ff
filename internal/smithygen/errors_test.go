package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// errorModel is a service of the protocol (a trait name) with two error
// shapes A and B whose traits are given.
func errorModel(protocol, aTraits, bTraits string) []byte {
	return fmt.Appendf(nil, `{"smithy": "2.0", "shapes": {
  "ex#Svc": {"type": "service", "version": "2020-01-01",
    "traits": {"aws.auth#sigv4": {"name": "ex"}, %q: {}}},
  "ex#AError": {"type": "structure", "members": {"message": {"target": "smithy.api#String"}}, "traits": %s},
  "ex#BError": {"type": "structure", "members": {}, "traits": %s}
}}`, protocol, aTraits, bTraits)
}

func TestGeneratedErrorTable(t *testing.T) {
	tests := []struct {
		name         string
		protocol     string // awsQuery when empty
		a, b         string
		want         []string // substrings of the generated code
		notWant      []string
		wantErrWords string // a generation error containing this, or ""
	}{
		{
			name: "defaults by fault",
			a:    `{"smithy.api#error": "client"}`,
			b:    `{"smithy.api#error": "server"}`,
			want: []string{
				`ErrAError = "AError"`, `ErrBError = "BError"`,
				`ErrAError: {Shape: "AError", Fault: "client", HTTPStatus: 400, Message: "message"},`,
				`ErrBError: {Shape: "BError", Fault: "server", HTTPStatus: 500},`, // no message member
			},
		},
		{
			name: "query code and its status",
			a:    `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "ANotFound", "httpResponseCode": 404}}`,
			b:    `{"smithy.api#error": "client", "smithy.api#httpError": 409}`,
			want: []string{
				`ErrAError = "ANotFound"`,
				`ErrAError: {Shape: "AError", Fault: "client", HTTPStatus: 404, Message: "message"},`,
				`ErrBError: {Shape: "BError", Fault: "client", HTTPStatus: 409},`,
			},
		},
		{
			name:    "shared code that agrees: one entry, both constants",
			a:       `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "Gone", "httpResponseCode": 404}}`,
			b:       `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "Gone", "httpResponseCode": 404}}`,
			want:    []string{`ErrAError = "Gone"`, `ErrBError = "Gone"`, `ErrAError: {Shape: "AError", Fault: "client", HTTPStatus: 404, Message: "message"},`},
			notWant: []string{`ErrBError: {`},
		},
		{
			name:     "JSON service: awsQueryError traits of its Query past ignored",
			protocol: "aws.protocols#awsJson1_1",
			a:        `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "ANotFound", "httpResponseCode": 404}}`,
			b:        `{"smithy.api#error": "server", "smithy.api#httpError": 503}`,
			want: []string{
				`ErrAError = "AError"`,
				`ErrAError: {Shape: "AError", Fault: "client", HTTPStatus: 400, Message: "message"},`,
				`ErrBError: {Shape: "BError", Fault: "server", HTTPStatus: 503},`,
				`return "AError: " + *v.Message`,
			},
		},
		{
			name:         "shared code that disagrees",
			a:            `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "Gone", "httpResponseCode": 404}}`,
			b:            `{"smithy.api#error": "client", "aws.protocols#awsQueryError": {"code": "Gone", "httpResponseCode": 410}}`,
			wantErrWords: "share the wire code Gone",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			protocol := tc.protocol
			if protocol == "" {
				protocol = "aws.protocols#awsQuery"
			}
			m, err := ParseModel(errorModel(protocol, tc.a, tc.b))
			if err != nil {
				t.Fatal(err)
			}
			src, err := Generate(m, "ex.json", "extypes")
			if tc.wantErrWords != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrWords) {
					t.Fatalf("Generate error = %v, want one containing %q", err, tc.wantErrWords)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// gofmt aligns the table's values: compare with runs of
			// spaces collapsed.
			flat := bytes.Join(bytes.Fields(src), []byte(" "))
			for _, w := range tc.want {
				if !bytes.Contains(flat, []byte(w)) {
					t.Errorf("generated code lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if bytes.Contains(flat, []byte(w)) {
					t.Errorf("generated code has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("generated:\n%s", src)
			}
		})
	}
}
