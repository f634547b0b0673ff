// Package logs serves Amazon CloudWatch Logs (AWS JSON 1.1, target
// Logs_20140328, signing name logs): log groups and streams, PutLogEvents,
// GetLogEvents, FilterLogEvents with CloudWatch's filter pattern language,
// retention policies and tags, Logs Insights queries (StartQuery and
// friends, run on background workers by package logsinsights, insights*.go)
// and metric filters that publish datapoints through a MetricSink as
// PutLogEvents stores events (metricfilter*.go), saved Insights queries
// (query definitions, querydefs.go), with CloudWatch's error codes and
// messages.
//
// Storage. Log events are data-plane volume, so they live in their own
// store.Backend (a bbolt file next to wharf.db, opened with a history of one
// revision), never in the control plane's store and its watch history. In
// that store:
//
//	g/ACCOUNT/REGION/GROUP        a group (JSON): id, retention, tags, bytes
//	s/GID/STREAM                  a stream (JSON): id, first/last event, bytes, next seq
//	e/GID/SID/TS SEQ              a chunk of events (binary, chunk.go), keyed
//	                              by the position of its last event
//	x/GID[/SID]                   events of a deleted group or stream, left
//	                              for the janitor to delete in small steps
//	m/next-id                     the id counter for groups and streams
//	mf/ACCOUNT/REGION/GROUP:NAME  a metric filter (JSON)
//	qd/ACCOUNT/REGION/ID          a query definition (JSON)
//
// A position is (timestamp, seq): seq numbers a stream's events in the order
// they were ingested, so positions are unique and totally ordered, and a
// chunk's key sorts exactly where its events do. Chunks never overlap: an
// in-order batch (the common case: every shipping agent) is one new chunk
// appended after the others; a batch that reaches back in time is merged
// with the chunks it overlaps. Reading forward from any position is one
// seek; reading backward walks growing time windows (read.go).
//
// The janitor pass (Sweep) expires events past a group's retention and
// deletes the events of deleted groups and streams, in bounded
// transactions; controller/logretention runs it.
//
// It must not import other AWS service packages, controllers or the agent.
package logs
