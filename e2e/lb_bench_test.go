package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/wharfhq/wharf/internal/apitest"
)

// Load generator sizes: bounded counts, so a run takes seconds.
const (
	benchWorkers  = 4
	benchRequests = 20000 // per side, in benchRounds alternating rounds
	benchRounds   = 10
	benchQueries  = 100000
)

// loadResult is one side of a load run.
type loadResult struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
	errors  int64
}

func (r loadResult) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// quantile returns the q-quantile (0..1) of the latencies.
func (r loadResult) quantile(q float64) time.Duration {
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	return lat[int(float64(len(lat)-1)*q)]
}

// add folds another run of the same side in.
func (r *loadResult) add(o loadResult) {
	r.n += o.n
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	r.errors += o.errors
}

// load sends n requests from workers goroutines (keep-alive) and measures
// each request's latency.
func load(tb testing.TB, n, workers int, do func(c *http.Client) error) loadResult {
	tb.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxIdleConns: workers}}
	defer c.CloseIdleConnections()
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				if err := do(c); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	return loadResult{n: n, elapsed: time.Since(start), lat: lat, errors: errs.Load()}
}

func getOK(url string) func(*http.Client) error {
	return func(c *http.Client) error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}

// BenchmarkLoadBalancer prints requests/second and latency through a
// listener beside the same requests sent straight to the task's published
// port, and what the listener adds at p50 and p99. Run with -benchtime=1x.
func BenchmarkLoadBalancer(b *testing.B) {
	e := newLBEnv(b)
	tk := e.run(1)[0]
	tg := e.group("bench", "0", tk)
	_, base := e.listener(forwardTo(tg))
	e.waitHealth(tg, "healthy", tk)
	direct := fmt.Sprintf("http://127.0.0.1:%d/health", tk.port)
	through := base + "/health"
	for b.Loop() {
		load(b, 1000, benchWorkers, getOK(direct)) // warm both paths up
		load(b, 1000, benchWorkers, getOK(through))
		// Alternate short rounds so that noise from the rest of the host
		// falls on both sides alike.
		var d, l loadResult
		for range benchRounds {
			d.add(load(b, benchRequests/benchRounds, benchWorkers, getOK(direct)))
			l.add(load(b, benchRequests/benchRounds, benchWorkers, getOK(through)))
		}
		if d.errors+l.errors != 0 {
			b.Fatalf("errors: %d direct, %d through the listener", d.errors, l.errors)
		}
		dp50, dp99, lp50, lp99 := d.quantile(0.5), d.quantile(0.99), l.quantile(0.5), l.quantile(0.99)
		b.Logf("%d requests each, %d workers, keep-alive, GET /health of one testapp task:", benchRequests, benchWorkers)
		b.Logf("  straight to the task's port: %8.0f req/s  p50 %v  p99 %v", d.rps(), dp50, dp99)
		b.Logf("  through the listener:        %8.0f req/s  p50 %v  p99 %v", l.rps(), lp50, lp99)
		b.Logf("  added by the listener:                    p50 %v  p99 %v", lp50-dp50, lp99-dp99)
		b.ReportMetric(d.rps(), "direct-req/s")
		b.ReportMetric(l.rps(), "lb-req/s")
		b.ReportMetric(float64((lp50 - dp50).Microseconds()), "added-p50-µs")
		b.ReportMetric(float64((lp99 - dp99).Microseconds()), "added-p99-µs")
	}
}

// BenchmarkDNS prints the DNS server's queries/second for a service of
// three instances (A, UDP, benchWorkers clients). Run with -benchtime=1x.
func BenchmarkDNS(b *testing.B) {
	d := startWithDNS(b, true)
	ctx := context.Background()
	cm := d.cloudMap()
	op := apitest.Must(cm.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("bench.local"), Vpc: aws.String("vpc-local")}))(b)
	nsID := apitest.Must(cm.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId}))(b).Operation.Targets["NAMESPACE"]
	svc := apitest.Must(cm.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: aws.String(nsID),
		DnsConfig: &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(10)}}}}))(b).Service
	for i := range 3 {
		apitest.Must(cm.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String(fmt.Sprint(i)),
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i+1)}}))(b)
	}
	query := func(id uint16) []byte {
		bld := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
		_ = bld.StartQuestions()
		_ = bld.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("web.bench.local."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
		msg, _ := bld.Finish()
		return msg
	}
	// Wait until the server answers the three records.
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.Dial("udp", d.resolver.HostAddr)
		if err != nil {
			b.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = conn.Write(query(1))
		buf := make([]byte, 1500)
		n, err := conn.Read(buf)
		conn.Close()
		var m dnsmessage.Message
		if err == nil && m.Unpack(buf[:n]) == nil && len(m.Answers) == 3 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the DNS server does not answer the service")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for b.Loop() {
		var next, errs atomic.Int64
		lat := make([]time.Duration, benchQueries)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range benchWorkers {
			wg.Go(func() {
				conn, err := net.Dial("udp", d.resolver.HostAddr)
				if err != nil {
					errs.Add(1)
					return
				}
				defer conn.Close()
				buf := make([]byte, 1500)
				msg := query(uint16(w))
				for {
					i := next.Add(1) - 1
					if i >= benchQueries {
						return
					}
					t0 := time.Now()
					_ = conn.SetDeadline(t0.Add(2 * time.Second))
					if _, err := conn.Write(msg); err != nil {
						errs.Add(1)
						continue
					}
					if n, err := conn.Read(buf); err != nil || n < 12 || buf[0] != msg[0] || buf[1] != msg[1] {
						errs.Add(1)
						continue
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if errs.Load() != 0 {
			b.Fatalf("%d of %d queries failed", errs.Load(), benchQueries)
		}
		slices.Sort(lat)
		qps := float64(benchQueries) / elapsed.Seconds()
		b.Logf("%d A queries for a service of 3 instances, %d UDP clients: %.0f queries/s, p50 %v, p99 %v",
			benchQueries, benchWorkers, qps, lat[benchQueries/2], lat[benchQueries*99/100])
		b.ReportMetric(qps, "queries/s")
	}
}
