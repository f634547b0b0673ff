package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// fuzzOps are the ECS operations the fuzzer sends bodies to; the first byte
// of each input picks one.
var fuzzOps = []string{
	"CreateCluster", "DescribeClusters", "ListClusters", "UpdateCluster", "UpdateClusterSettings",
	"DeleteCluster", "PutClusterCapacityProviders", "DescribeCapacityProviders", "RegisterTaskDefinition",
	"DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies", "DeregisterTaskDefinition",
	"DeleteTaskDefinitions", "TagResource", "UntagResource", "ListTagsForResource", "ListAccountSettings",
	"PutAccountSetting", "PutAccountSettingDefault", "DeleteAccountSetting", "NoSuchOperation",
	"CreateCapacityProvider", "UpdateCapacityProvider", "DeleteCapacityProvider", "CreateService", "UpdateService",
	"DeleteService", "DescribeServices", "CreateTaskSet", "DescribeTaskSets", "UpdateTaskSet", "DeleteTaskSet",
	"UpdateServicePrimaryTaskSet", "GetTaskProtection", "UpdateTaskProtection", "SubmitAttachmentStateChanges",
	"UpdateContainerAgent",
}

// FuzzECSRequest sends arbitrary bodies through the whole request path
// (routing, decoding, generated validation, ECS rules, store). No input may
// answer 500 or panic, and an input that is answered with an error must not
// have changed anything stored.
func FuzzECSRequest(f *testing.F) {
	seeds := []string{
		`{}`, ``, `null`, `[]`, `{"clusterName":"a"}`, `{"clusterName":5}`, `{"clusters":["default","x"],"include":["TAGS"]}`,
		`{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":64}]}`,
		`{"family":"f","requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","cpu":"256","memory":"512","containerDefinitions":[{"name":"a","image":"b","portMappings":[{"containerPort":80,"hostPort":81}]}]}`,
		`{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":64,"dependsOn":[{"containerName":"a","condition":"START"}]}]}`,
		`{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":64,"healthCheck":{"command":["CMD"],"interval":1}}]}`,
		`{"taskDefinition":"f:1"}`, `{"taskDefinitions":["f:1","f:x",""]}`,
		`{"resourceArn":"arn:aws:ecs:us-east-1:000000000000:cluster/seed","tags":[{"key":"aws:x","value":"1"}]}`,
		`{"cluster":"seed","capacityProviders":["FARGATE"],"defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":-1}]}`,
		`{"name":"containerInsights","value":"bogus"}`, `{"maxResults":0,"nextToken":"%%%"}`,
		`{"name":"cp","autoScalingGroupProvider":{"autoScalingGroupArn":"arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x","managedScaling":{"minimumScalingStepSize":9,"maximumScalingStepSize":2}}}`,
		`{"cluster":"seed","serviceName":"s","desiredCount":1,"deploymentController":{"type":"EXTERNAL"}}`,
		`{"cluster":"seed","service":"s","taskDefinition":"f:1","scale":{"value":101,"unit":"PERCENT"}}`,
		`{"cluster":"seed","tasks":["t"],"protectionEnabled":true,"expiresInMinutes":99999}`,
		`{"registeredAt":"not a time","family":"\u0000"}`, `{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":1e400}]}`,
	}
	for i, s := range seeds {
		for op := range fuzzOps {
			if (i+op)%3 == 0 {
				f.Add(uint8(op), []byte(s))
			}
		}
	}
	db, err := bolt.Open(filepath.Join(f.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	// The controllers are not run: the fuzzer checks the API alone.
	h := newControlPlane(db, Config{Account: "000000000000", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, func() error { return nil }).api
	send := func(op, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for op, body := range map[string]string{
		"CreateCluster":          `{"clusterName":"seed"}`,
		"RegisterTaskDefinition": `{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":64}]}`,
	} {
		if rec := send(op, body); rec.Code != 200 {
			f.Fatalf("seed %s: %d %s", op, rec.Code, rec.Body)
		}
	}
	rev := func() (r int64) {
		_ = db.View(context.Background(), func(tx store.ReadTx) error { r = tx.Rev(); return nil })
		return r
	}

	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := fuzzOps[int(op)%len(fuzzOps)]
		before := rev()
		rec := send(name, string(body))
		if rec.Code >= 500 {
			t.Fatalf("%s %q answered %d: %s", name, body, rec.Code, rec.Body)
		}
		if rec.Code != 200 && rev() != before {
			t.Fatalf("%s %q failed with %d but changed the store: %s", name, body, rec.Code, rec.Body)
		}
	})
}
