package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/internal/wiretest"
)

// Shapes as smithygen writes them for a Query service.
type qTag struct {
	Key   *string `xml:"Key,omitempty"`
	Value *string `xml:"Value,omitempty"`
}

type qMatcher struct {
	HttpCode *string `xml:"HttpCode,omitempty"`
}

type qInput struct {
	Name     *string           `xml:"Name,omitempty"`
	Port     *int32            `xml:"Port,omitempty"`
	Enabled  *bool             `xml:"Enabled,omitempty"`
	Count    int64             `xml:"Count"`
	Kind     qKind             `xml:"Kind,omitempty"`
	Names    []string          `xml:"Names>member,omitempty"`
	Tags     []qTag            `xml:"Tags>member,omitempty"`
	Flat     []string          `xml:"Flat,omitempty"`
	Matcher  *qMatcher         `xml:"Matcher,omitempty"`
	Extra    map[string]string `xml:"Extra,omitempty"`
	When     shape.Timestamp   `xml:"When,omitempty"`
	Empty    []string          `xml:"Empty>member,omitempty"`
	Untagged *string
}

type qKind string

func (v *qInput) Validate() error {
	if v.Name == nil {
		return shape.Required("Name")
	}
	return nil
}

func TestDecodeQuery(t *testing.T) {
	form := url.Values{
		"Name": {"web"}, "Port": {"8080"}, "Enabled": {"true"}, "Count": {"7"}, "Kind": {"application"},
		"Names.member.2": {"b"}, "Names.member.1": {"a"}, "Names.member.10": {"c"},
		"Tags.member.1.Key": {"k1"}, "Tags.member.1.Value": {"v1"}, "Tags.member.2.Key": {"k2"},
		"Flat.1": {"x"}, "Flat.2": {"y"},
		"Matcher.HttpCode":  {"200-299"},
		"Extra.entry.1.key": {"a"}, "Extra.entry.1.value": {"1"},
		"When":     {"2024-01-02T03:04:05.000Z"},
		"Empty":    {""},
		"Untagged": {"u"},
		"Unknown":  {"ignored"},
	}
	var got qInput
	if err := DecodeQuery(form, &got); err != nil {
		t.Fatal(err)
	}
	want := qInput{
		Name: new("web"), Port: new(int32(8080)), Enabled: new(true), Count: 7, Kind: "application",
		Names: []string{"a", "b", "c"},
		Tags:  []qTag{{Key: new("k1"), Value: new("v1")}, {Key: new("k2")}},
		Flat:  []string{"x", "y"}, Matcher: &qMatcher{HttpCode: new("200-299")},
		Extra: map[string]string{"a": "1"}, When: shape.TimeOf(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)),
		Empty: []string{}, Untagged: new("u"),
	}
	if !got.When.Equal(want.When.Time) {
		t.Fatalf("When %v, want %v", got.When, want.When)
	}
	got.When, want.When = shape.Timestamp{}, shape.Timestamp{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecodeQueryErrors(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		in   string
	}{
		{"not an integer", url.Values{"Port": {"eighty"}}, "Port"},
		{"integer out of range", url.Values{"Port": {"99999999999"}}, "Port"},
		{"not a boolean", url.Values{"Enabled": {"yes please"}}, "Enabled"},
		{"bad list position", url.Values{"Names.member.zero": {"a"}}, "Names.member.zero"},
		{"zero list position", url.Values{"Names.member.0": {"a"}}, "list positions"},
		{"bad timestamp", url.Values{"When": {"yesterday"}}, "When"},
		{"map entry without key", url.Values{"Extra.entry.1.value": {"1"}}, "Extra.entry.1.key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v qInput
			err := DecodeQuery(tc.form, &v)
			var inv *invalidInput
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.in) {
				t.Fatalf("got %v, want a validation failure naming %s", err, tc.in)
			}
		})
	}
}

type qOutput struct {
	Name  *string         `xml:"Name,omitempty"`
	Names []string        `xml:"Names>member,omitempty"`
	At    shape.Timestamp `xml:"At,omitempty"`
}

func queryServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), "")
	s.RegisterQuery(&QueryService{
		SigningName: "tiny", Version: "2020-01-01", XMLNamespace: "http://tiny.example/doc/2020-01-01/",
		Known: map[string]bool{"Echo": true, "Later": true},
		Ops: map[string]QueryHandler{
			"Echo": Query(func(ctx context.Context, in *qInput) (*qOutput, error) {
				if *in.Name == "boom" {
					return nil, Errorf("NotFound", "no %s here", *in.Name)
				}
				if *in.Name == "oops" {
					return nil, errors.New("disk on fire")
				}
				return &qOutput{Name: new(*in.Name + "@" + RequestFrom(ctx).Region), Names: in.Names,
					At: shape.TimeOf(time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC))}, nil
			}),
		},
	})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	return wiretest.PostForm(t, url, body, hdr...)
}

func TestQueryWire(t *testing.T) {
	srv := queryServer(t)
	sig := "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/tiny/aws4_request, SignedHeaders=host, Signature=x"
	status, body, hdr := post(t, srv.URL+"/", "Action=Echo&Version=2020-01-01&Name=web&Names.member.1=a&Names.member.2=b", "Authorization", sig)
	reqID := hdr.Get("X-Amzn-RequestId")
	want := `<EchoResponse xmlns="http://tiny.example/doc/2020-01-01/"><EchoResult><Name>web@eu-west-1</Name>` +
		`<Names><member>a</member><member>b</member></Names><At>2024-01-02T03:04:05.006Z</At></EchoResult>` +
		`<ResponseMetadata><RequestId>` + reqID + `</RequestId></ResponseMetadata></EchoResponse>`
	if status != 200 || body != want || hdr.Get("Content-Type") != "text/xml" {
		t.Fatalf("got %d %s\n%s\nwant\n%s", status, hdr.Get("Content-Type"), body, want)
	}

	t.Run("a thousand members", func(t *testing.T) {
		status, body, _ := post(t, srv.URL+"/", "Action=Echo&Version=2020-01-01&Name=many"+manyMembers("Names.member", 1000))
		if status != 200 || strings.Count(body, "<member>m</member>") != 1000 {
			t.Fatalf("%d, %d members", status, strings.Count(body, "<member>m</member>"))
		}
	})

	t.Run("only a form-encoded POST", func(t *testing.T) {
		tests := []struct {
			name, method, contentType, body string
		}{
			{"GET", http.MethodGet, "", ""},
			{"GET with a form type", http.MethodGet, "application/x-www-form-urlencoded", ""},
			{"PUT of a form", http.MethodPut, "application/x-www-form-urlencoded", "Action=Echo&Version=2020-01-01&Name=put"},
			{"POST of JSON", http.MethodPost, "application/json", `{"Action":"Echo"}`},
			{"POST of text", http.MethodPost, "text/plain", "Action=Echo&Version=2020-01-01&Name=text"},
			{"POST with no type", http.MethodPost, "", "Action=Echo&Version=2020-01-01&Name=none"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, srv.URL+"/?Action=Echo&Version=2020-01-01&Name=get", strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 400 || !strings.Contains(string(b), "<Code>InvalidQueryParameter</Code>") || !strings.Contains(string(b), "must be POST requests with a form-encoded body") {
					t.Fatalf("%d %s", resp.StatusCode, b)
				}
			})
		}
	})

	errs := []struct {
		name, body   string
		status       int
		code, inMsg  string
		typ, noXmlns string
	}{
		{"service error", "Action=Echo&Version=2020-01-01&Name=boom", 400, "NotFound", "no boom here", "Sender", ""},
		{"validation", "Action=Echo&Version=2020-01-01", 400, "ValidationError", "at &#39;Name&#39;", "Sender", ""},
		{"bad type", "Action=Echo&Version=2020-01-01&Name=a&Port=x", 400, "ValidationError", "Port", "Sender", ""},
		{"internal", "Action=Echo&Version=2020-01-01&Name=oops", 500, "ServerException", "server log", "Receiver", ""},
		{"missing action", "Version=2020-01-01", 400, "MissingAction", "Action", "Sender", "x"},
		{"missing version", "Action=Echo", 400, "MissingParameter", "Version", "Sender", "x"},
		{"unknown version", "Action=Echo&Version=1999-01-01", 400, "InvalidAction", "1999-01-01", "Sender", "x"},
		{"unknown action", "Action=MakeCoffee&Version=2020-01-01", 400, "InvalidAction", "MakeCoffee", "Sender", ""},
		{"not served yet", "Action=Later&Version=2020-01-01", 400, "InvalidAction", "does not serve tiny.Later yet", "Sender", ""},
		{"bad form", "Action=Echo&Version=2020-01-01&Name=%zz", 400, "MalformedQueryString", "form", "Sender", "x"},
		{"list position too high", "Action=Echo&Version=2020-01-01&Name=a&Names.member.1001=x", 400, "ValidationError", "at most 1000 members", "Sender", ""},
		{"list position beyond int", "Action=Echo&Version=2020-01-01&Name=a&Names.member.99999999999999999999=x", 400, "ValidationError", "list positions", "Sender", ""},
		{"too many members", "Action=Echo&Version=2020-01-01&Name=a" + manyMembers("Names.member", 1001), 400, "ValidationError", "at most 1000 members", "Sender", ""},
		{"too many map entries", "Action=Echo&Version=2020-01-01&Name=a&Extra.entry.5000.key=k&Extra.entry.5000.value=v", 400, "ValidationError", "at most 1000 members", "Sender", ""},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := post(t, srv.URL+"/", tc.body)
			ns := ` xmlns="http://tiny.example/doc/2020-01-01/"`
			if tc.noXmlns != "" {
				ns = ""
			}
			prefix := `<ErrorResponse` + ns + `><Error><Type>` + tc.typ + `</Type><Code>` + tc.code + `</Code><Message>`
			suffix := `</Message></Error><RequestId>` + hdr.Get("X-Amzn-RequestId") + `</RequestId></ErrorResponse>`
			if status != tc.status || !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) || !strings.Contains(body, tc.inMsg) {
				t.Fatalf("got %d %s", status, body)
			}
		})
	}
}

// manyMembers is "&PREFIX.1=m&PREFIX.2=m…" with n members.
func manyMembers(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "&%s.%d=m", prefix, i)
	}
	return b.String()
}

// FuzzDecodeQuery feeds arbitrary form bodies to the decoder with the
// deepest ELBv2 shapes: it may refuse them, never panic.
func FuzzDecodeQuery(f *testing.F) {
	f.Add("ListenerArn=a&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=%2Fx&Actions.member.1.Type=forward")
	f.Add("Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight=3&Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.key=k")
	f.Add("Priority=99999999999&Tags.member.0.Key=x")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		var rule elbv2types.CreateRuleInput
		_ = DecodeQuery(form, &rule)
		var listener elbv2types.CreateListenerInput
		_ = DecodeQuery(form, &listener)
	})
}
