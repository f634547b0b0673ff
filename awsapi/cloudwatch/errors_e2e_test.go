package cloudwatch_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/internal/apitest"
)

// TestNotFoundStatusFromModel checks that CloudWatch's not-found answers
// carry the HTTP status of its model (404: smithy.api#httpError and the
// awsQueryError httpResponseCode), over rpcv2Cbor (the SDK) and Query.
func TestNotFoundStatusFromModel(t *testing.T) {
	w, c := apitest.Start(t, cloudwatch.NewFromConfig)
	ctx := context.Background()

	t.Run("SetAlarmState on no alarm (SDK)", func(t *testing.T) {
		_, err := c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"),
			StateValue: types.StateValueAlarm, StateReason: aws.String("test")})
		apitest.WantCodeStatus(t, err, cloudwatchtypes.ErrResourceNotFound, http.StatusNotFound)
	})
	t.Run("ListTagsForResource on no alarm (SDK)", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{
			ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope")})
		// Its message member is Message, not message: the answer must
		// carry it under that name for the SDK to read it.
		apitest.WantCodeStatus(t, err, cloudwatchtypes.ErrResourceNotFoundException, http.StatusNotFound)
	})
	t.Run("SetAlarmState on no alarm (Query)", func(t *testing.T) {
		form := url.Values{"Action": {"SetAlarmState"}, "Version": {cloudwatchtypes.APIVersion},
			"AlarmName": {"nope"}, "StateValue": {"ALARM"}, "StateReason": {"test"}}
		resp, err := http.Post(w.URL()+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "<Code>ResourceNotFound</Code>") {
			t.Fatalf("got %d %s, want 404 ResourceNotFound", resp.StatusCode, b)
		}
	})
}
