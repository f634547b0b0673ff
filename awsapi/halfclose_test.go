package awsapi_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/awsapi/elbv2"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestHalfClosedClients sends calls as `busybox nc` does: write the whole
// request, shut the write side (SHUT_WR), then read the answer. Go's
// net/http cancels a request's context when it reads EOF from the
// connection, which such a client causes while the handler still runs; the
// call must be answered as if the client had kept its side open, never with
// a 500.
func TestHalfClosedClients(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := awsapi.NewServer(log, "")
	api.RegisterJSON(ecs.New(db, log).Service())
	api.RegisterQuery(elbv2.New(db, elbv2.Config{Addr: "127.0.0.1", Log: log}).Service())
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	json := func(op, body string) string {
		return "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-amz-json-1.1\r\n" +
			"X-Amz-Target: AmazonEC2ContainerServiceV20141113." + op + "\r\nConnection: close\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	query := func(body string) string {
		return "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	const rounds = 50
	for i := range rounds {
		calls := []struct {
			name, req string
			status    int
		}{
			{"CreateCluster", json("CreateCluster", fmt.Sprintf(`{"clusterName":"half-%d"}`, i)), 200},
			{"DescribeClusters", json("DescribeClusters", fmt.Sprintf(`{"clusters":["half-%d"]}`, i)), 200},
			{"DeleteCluster of a missing cluster", json("DeleteCluster", `{"cluster":"never-made"}`), 400},
			{"CreateTargetGroup", query(fmt.Sprintf("Action=CreateTargetGroup&Version=2015-12-01&Name=half-%d&Protocol=HTTP&Port=80&VpcId=vpc-1", i)), 200},
		}
		for _, c := range calls {
			status, body := halfClosedCall(t, addr, c.req)
			if status != c.status {
				t.Fatalf("round %d, %s: got %d, want %d\n%s", i, c.name, status, c.status, body)
			}
		}
	}
}

// halfClosedCall writes req, closes the connection's write side and reads
// the answer.
func halfClosedCall(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer's body: %v", err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}
