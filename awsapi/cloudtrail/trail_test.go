package cloudtrail

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
)

func TestTrailRingAndPaging(t *testing.T) {
	tr := New(5)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 8 {
		tr.Record(awsapi.AuditRecord{Time: base.Add(time.Duration(i) * time.Second), Service: "ecs", Operation: fmt.Sprintf("Op%d", i),
			Region: awsapi.DefaultRegion, AccessKey: "AKIA" + fmt.Sprint(i%2), Status: 200})
	}
	tr.Record(awsapi.AuditRecord{Service: SigningName, Operation: "LookupEvents", Region: awsapi.DefaultRegion})
	ctx := context.Background()
	names := func(r *LookupEventsResponse) (out []string) {
		for _, e := range r.Events {
			out = append(out, *e.EventName)
		}
		return out
	}
	tests := []struct {
		name string
		in   LookupEventsRequest
		want string
		code string
	}{
		{"newest first, bounded", LookupEventsRequest{}, "[Op7 Op6 Op5 Op4 Op3]", ""},
		{"by access key", LookupEventsRequest{LookupAttributes: []LookupAttribute{{AttributeKey: new(keyAccessKeyID), AttributeValue: new("AKIA1")}}}, "[Op7 Op5 Op3]", ""},
		{"time range", LookupEventsRequest{StartTime: tsOf(base.Add(4 * time.Second)), EndTime: tsOf(base.Add(5 * time.Second))}, "[Op5 Op4]", ""},
		{"two attributes", LookupEventsRequest{LookupAttributes: []LookupAttribute{{}, {}}}, "", "InvalidLookupAttributesException"},
		{"bad max", LookupEventsRequest{MaxResults: new(int32(51))}, "", "InvalidMaxResultsException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tr.LookupEvents(ctx, &tt.in)
			if tt.code != "" {
				if e, ok := awsapi.AsError(err); !ok || e.Code != tt.code {
					t.Fatalf("err %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || fmt.Sprint(names(out)) != tt.want {
				t.Fatalf("got %v %v, want %s", names(out), err, tt.want)
			}
		})
	}
	page, _ := tr.LookupEvents(ctx, &LookupEventsRequest{MaxResults: new(int32(2))})
	next, _ := tr.LookupEvents(ctx, &LookupEventsRequest{MaxResults: new(int32(2)), NextToken: page.NextToken})
	if fmt.Sprint(names(page), names(next)) != "[Op7 Op6] [Op5 Op4]" {
		t.Fatalf("pages %v %v", names(page), names(next))
	}
}

func tsOf(t time.Time) shape.Timestamp { return shape.TimeOf(t) }
