package logs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/logsinsights"
	"github.com/wharfhq/wharf/store"
)

// Logs Insights queries run in the background on a few workers (Run),
// each reading its groups' events through short read transactions
// (insights_read.go) and feeding them to a logsinsights.Exec. Queries and
// their results live in memory only: a restart forgets them, as a client
// would see a query expire.
const (
	queryWorkers     = 2
	maxActiveQueries = 30               // CloudWatch's default concurrency quota per account
	queryTimeout     = 60 * time.Minute // CloudWatch times a query out after 60 minutes
	queryKeep        = 24 * time.Hour   // how long a finished query's results stay readable
	maxKeptQueries   = 200              // past it, the oldest finished queries go first
	maxQueryGroups   = 50
	defaultRowLimit  = 10000 // StartQuery's limit when it gives none
)

const (
	codeMalformedQuery = logstypes.ErrMalformedQueryException
	codeLimitExceeded  = logstypes.ErrLimitExceededException
)

// insights holds the queries of every scope.
type insights struct {
	mu      sync.Mutex
	queries map[string]*query
	queue   chan *query
	timeout time.Duration // queryTimeout; tests shorten it
}

func newInsights() *insights {
	return &insights{queries: map[string]*query{}, queue: make(chan *query, maxActiveQueries*4), timeout: queryTimeout}
}

// query is one StartQuery. The fields below mu are guarded by
// insights.mu.
type query struct {
	id      string
	sc      scope
	groups  []string
	text    string
	q       *logsinsights.Query
	start   int64 // milliseconds, inclusive
	end     int64 // milliseconds, exclusive
	limit   int
	created int64

	status   logstypes.QueryStatus
	rows     [][]logstypes.ResultField
	stats    logstypes.QueryStatistics
	finished time.Time
	cancel   context.CancelFunc
	stopped  bool
}

// StartQuery compiles a query and schedules it over one or more groups.
func (a *API) StartQuery(ctx context.Context, in *logstypes.StartQueryRequest) (*logstypes.StartQueryResponse, error) {
	sc := scopeOf(ctx)
	if in.QueryLanguage != "" && in.QueryLanguage != logstypes.QueryLanguageCwli {
		return nil, invalidParam("queryLanguage %s is not served by wharf: use CWLI, the Logs Insights query language.", in.QueryLanguage)
	}
	groups, err := a.queryGroups(ctx, sc, in)
	if err != nil {
		return nil, err
	}
	if *in.EndTime < *in.StartTime {
		return nil, invalidParam("endTime (%d) must not be before startTime (%d).", *in.EndTime, *in.StartTime)
	}
	q, err := logsinsights.Parse(*in.QueryString)
	if err != nil {
		return nil, awsapi.Errorf(codeMalformedQuery, "%s", err.Error())
	}
	qr := &query{id: newQueryID(), sc: sc, groups: groups, text: *in.QueryString, q: q,
		start: *in.StartTime * 1000, end: satAdd(*in.EndTime*1000, 1000),
		limit: awsapi.PageLimit(in.Limit, defaultRowLimit), created: a.nowMillis(), status: logstypes.QueryStatusScheduled}
	ins := a.insights
	ins.mu.Lock()
	defer ins.mu.Unlock()
	active := 0
	for _, o := range ins.queries {
		if o.sc.Account == sc.Account && (o.status == logstypes.QueryStatusScheduled || o.status == logstypes.QueryStatusRunning) {
			active++
		}
	}
	if active >= maxActiveQueries {
		return nil, awsapi.Errorf(codeLimitExceeded, "Account maximum query concurrency limit of [%d] reached.", maxActiveQueries)
	}
	select {
	case ins.queue <- qr:
	default:
		return nil, awsapi.Errorf(codeLimitExceeded, "Account maximum query concurrency limit of [%d] reached.", maxActiveQueries)
	}
	ins.queries[qr.id] = qr
	ins.trim(a.Now())
	return &logstypes.StartQueryResponse{QueryId: new(qr.id)}, nil
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// queryGroups resolves the groups a StartQuery names (exactly one of
// logGroupName, logGroupNames, logGroupIdentifiers), each of which must
// exist.
func (a *API) queryGroups(ctx context.Context, sc scope, in *logstypes.StartQueryRequest) ([]string, error) {
	given := 0
	for _, ok := range []bool{in.LogGroupName != nil, len(in.LogGroupNames) > 0, len(in.LogGroupIdentifiers) > 0} {
		if ok {
			given++
		}
	}
	if given != 1 {
		return nil, invalidParam("Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be specified.")
	}
	var names []string
	switch {
	case in.LogGroupName != nil:
		names = []string{*in.LogGroupName}
	case len(in.LogGroupNames) > 0:
		names = in.LogGroupNames
	default:
		for _, id := range in.LogGroupIdentifiers {
			n, err := sc.groupName(nil, &id)
			if err != nil {
				return nil, err
			}
			names = append(names, n)
		}
	}
	if len(names) > maxQueryGroups {
		return nil, invalidParam("A query can search at most %d log groups; %d were given.", maxQueryGroups, len(names))
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		for _, n := range names {
			if _, err := getGroup(tx, sc, n); err != nil {
				return awsapi.Errorf(codeResourceNotFound, "Log group '%s' does not exist for account ID '%s' (Service: AWSLogs; Status Code: 400).", n, sc.Account)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("StartQuery", err)
	}
	return names, nil
}

func newQueryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// lookup finds a query of the caller's scope.
func (ins *insights) lookup(sc scope, id string) (*query, error) {
	q, ok := ins.queries[id]
	if !ok || q.sc != sc {
		return nil, awsapi.Errorf(codeResourceNotFound, "Query %s does not exist.", id)
	}
	return q, nil
}

// GetQueryResults answers a query's status and, once it has ended, its
// rows and statistics.
func (a *API) GetQueryResults(ctx context.Context, in *logstypes.GetQueryResultsRequest) (*logstypes.GetQueryResultsResponse, error) {
	ins := a.insights
	ins.mu.Lock()
	defer ins.mu.Unlock()
	q, err := ins.lookup(scopeOf(ctx), *in.QueryId)
	if err != nil {
		return nil, err
	}
	stats := q.stats
	return &logstypes.GetQueryResultsResponse{Status: q.status, Results: awsapi.OrEmpty(q.rows), Statistics: &stats,
		QueryLanguage: logstypes.QueryLanguageCwli}, nil
}

// StopQuery cancels a scheduled or running query; success is false for
// one that has ended already.
func (a *API) StopQuery(ctx context.Context, in *logstypes.StopQueryRequest) (*logstypes.StopQueryResponse, error) {
	ins := a.insights
	ins.mu.Lock()
	defer ins.mu.Unlock()
	q, err := ins.lookup(scopeOf(ctx), *in.QueryId)
	if err != nil {
		return nil, err
	}
	switch q.status {
	case logstypes.QueryStatusScheduled:
		q.stopped = true
		q.status, q.finished = logstypes.QueryStatusCancelled, a.Now()
	case logstypes.QueryStatusRunning:
		q.stopped = true
		q.cancel()
	default:
		return &logstypes.StopQueryResponse{Success: false}, nil
	}
	return &logstypes.StopQueryResponse{Success: true}, nil
}

// DescribeQueries lists the scope's recent queries, newest first.
func (a *API) DescribeQueries(ctx context.Context, in *logstypes.DescribeQueriesRequest) (*logstypes.DescribeQueriesResponse, error) {
	sc := scopeOf(ctx)
	limit := awsapi.PageLimit(in.MaxResults, 1000)
	if limit > 1000 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", limit)
	}
	cur, err := pageCursor("DescribeQueries", in.NextToken)
	if err != nil {
		return nil, err
	}
	ins := a.insights
	ins.mu.Lock()
	var list []logstypes.QueryInfo
	for _, q := range ins.queries {
		if q.sc != sc || in.Status != "" && q.status != in.Status ||
			in.LogGroupName != nil && !slices.Contains(q.groups, *in.LogGroupName) {
			continue
		}
		list = append(list, logstypes.QueryInfo{QueryId: new(q.id), QueryString: new(q.text), Status: q.status,
			CreateTime: new(q.created), LogGroupName: new(q.groups[0]), QueryLanguage: logstypes.QueryLanguageCwli})
	}
	ins.mu.Unlock()
	key := func(qi logstypes.QueryInfo) string {
		return fmt.Sprintf("%020d/%s", math.MaxInt64-*qi.CreateTime, *qi.QueryId)
	}
	slices.SortFunc(list, func(x, y logstypes.QueryInfo) int {
		switch kx, ky := key(x), key(y); {
		case kx < ky:
			return -1
		case kx > ky:
			return 1
		}
		return 0
	})
	page, next := awsapi.SlicePage(list, key, cur, limit)
	return &logstypes.DescribeQueriesResponse{Queries: awsapi.OrEmpty(page), NextToken: next}, nil
}

// trim drops finished queries past queryKeep, and the oldest finished
// ones past maxKeptQueries. Called with mu held.
func (ins *insights) trim(now time.Time) {
	var done []*query
	for id, q := range ins.queries {
		if q.finished.IsZero() {
			continue
		}
		if now.Sub(q.finished) > queryKeep {
			delete(ins.queries, id)
			continue
		}
		done = append(done, q)
	}
	if extra := len(done) - maxKeptQueries; extra > 0 {
		slices.SortFunc(done, func(x, y *query) int { return x.finished.Compare(y.finished) })
		for _, q := range done[:extra] {
			delete(ins.queries, q.id)
		}
	}
}

// QueryRunner is the background work of Logs Insights, for the
// supervisor: its workers run scheduled queries until ctx ends.
func (a *API) QueryRunner() interface{ Run(context.Context) error } { return queryRunner{a} }

type queryRunner struct{ a *API }

func (r queryRunner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range queryWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case q := <-r.a.insights.queue:
					r.a.runQuery(ctx, q)
				}
			}
		})
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-tick.C:
			r.a.insights.mu.Lock()
			r.a.insights.trim(r.a.Now())
			r.a.insights.mu.Unlock()
		}
	}
}

// runQuery runs one query to its end and records the outcome.
func (a *API) runQuery(ctx context.Context, q *query) {
	ins := a.insights
	ctx, cancel := context.WithTimeout(ctx, ins.timeout)
	defer cancel()
	ins.mu.Lock()
	if q.status != logstypes.QueryStatusScheduled { // stopped while queued
		ins.mu.Unlock()
		return
	}
	q.status, q.cancel = logstypes.QueryStatusRunning, cancel
	ins.mu.Unlock()

	res, stats, err := a.execQuerySafe(ctx, q)

	ins.mu.Lock()
	defer ins.mu.Unlock()
	q.finished = a.Now()
	q.stats = stats
	switch {
	case q.stopped:
		q.status = logstypes.QueryStatusCancelled
	case errors.Is(err, context.DeadlineExceeded):
		q.status = logstypes.QueryStatusTimeout
	case err != nil:
		a.Log.Warn("logs: insights query failed", "query", q.id, "err", err)
		q.status = logstypes.QueryStatusFailed
	default:
		q.status = logstypes.QueryStatusComplete
		q.rows = make([][]logstypes.ResultField, len(res.Rows))
		for i, row := range res.Rows {
			out := make([]logstypes.ResultField, len(row))
			for j, f := range row {
				out[j] = logstypes.ResultField{Field: new(f.Name), Value: new(f.Value)}
			}
			q.rows[i] = out
		}
	}
}

// execQuerySafe is execQuery with a panic turned into the query's failure:
// it runs on a worker goroutine, where a panic would end wharf.
func (a *API) execQuerySafe(ctx context.Context, q *query) (res logsinsights.Result, st logstypes.QueryStatistics, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("query %s panicked: %v\n%s", q.id, p, debug.Stack())
		}
	}()
	return a.execQuery(ctx, q)
}
