package awsapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/internal/wiretest"
)

// modelErrors is a service model's error table as smithygen writes it.
var modelErrors = map[string]shape.ErrorInfo{
	"ThingNotFoundException": {Shape: "ThingNotFoundException", Fault: "client", HTTPStatus: 404},
	"Gone":                   {Shape: "GoneException", Fault: "client", HTTPStatus: 410},
	"ServiceFailure":         {Shape: "ServiceFailureException", Fault: "server", HTTPStatus: 500},
}

func TestErrorInModel(t *testing.T) {
	tests := []struct {
		name       string
		err        *Error
		wantStatus int
		wantFault  Fault
	}{
		{"model status", Errorf("ThingNotFoundException", "no"), 404, ClientFault},
		{"model fault wins", Errorf("ServiceFailure", "down"), 500, ServerFault},
		{"explicit status kept", &Error{Code: "Gone", Status: 403}, 403, ClientFault},
		{"undeclared code: derived", Errorf(CodeSerialization, "bad"), 400, ClientFault},
		{"undeclared server fault", &Error{Code: CodeServerException, Fault: ServerFault}, 500, ServerFault},
		{"undeclared too large", Errorf(CodeRequestTooLarge, "big"), 413, ClientFault},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := *tc.err
			got := tc.err.inModel(modelErrors)
			if got.status() != tc.wantStatus || got.Fault != tc.wantFault || got.Code != tc.err.Code {
				t.Errorf("inModel(%+v) = status %d fault %d code %s, want %d %d", orig, got.status(), got.Fault, got.Code, tc.wantStatus, tc.wantFault)
			}
			if *tc.err != orig {
				t.Errorf("inModel changed its receiver: %+v, was %+v", *tc.err, orig)
			}
		})
	}
}

// TestModelStatusOnTheWire checks that each protocol answers a handler's
// error with the status its service's model declares.
func TestModelStatusOnTheWire(t *testing.T) {
	fail := func(code string) error { return Errorf(code, "failed with %s", code) }
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), "")
	s.RegisterJSON(&JSONService{
		SigningName: "tiny", TargetPrefix: "Tiny_20200101", Errors: modelErrors,
		Ops: map[string]Handler{"Fail": func(_ context.Context, body []byte) (any, error) { return nil, fail(string(body)) }},
	})
	s.RegisterQuery(&QueryService{
		SigningName: "tinyq", Version: "2020-01-01", Errors: modelErrors,
		Ops: map[string]QueryHandler{
			"Fail": func(_ context.Context, params url.Values) (any, error) { return nil, fail(params.Get("Code")) },
		},
	})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		code       string
		wantStatus int
		wantType   string // the Query error's Type
	}{
		{"declared 404", "ThingNotFoundException", 404, "Sender"},
		{"query code 410", "Gone", 410, "Sender"},
		{"declared server fault", "ServiceFailure", 500, "Receiver"},
		{"undeclared", "OtherException", 400, "Sender"},
	}
	for _, tc := range tests {
		t.Run("json "+tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(tc.code))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", "Tiny_20200101.Fail")
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), `"__type":"`+tc.code+`"`) {
				t.Errorf("got %d %s, want %d with __type %s", resp.StatusCode, body, tc.wantStatus, tc.code)
			}
		})
		t.Run("query "+tc.name, func(t *testing.T) {
			status, body, _ := wiretest.PostForm(t, srv.URL+"/", "Action=Fail&Version=2020-01-01&Code="+tc.code)
			if status != tc.wantStatus || !strings.Contains(body, "<Type>"+tc.wantType+"</Type><Code>"+tc.code+"</Code>") {
				t.Errorf("got %d %s, want %d with Type %s", status, body, tc.wantStatus, tc.wantType)
			}
		})
	}
}
