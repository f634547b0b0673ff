// Package logsinsights compiles and runs CloudWatch Logs Insights queries
// over a stream of log events: the commands fields, display, filter,
// stats, sort, limit, parse and dedup, with the language's operators
// (comparisons, and/or/not, like and =~ with /regex/, in, is null),
// scalar functions (strlen, tolower, concat, substr, replace, trim, abs,
// ceil, floor, isempty, isblank, ispresent, bin, …) and aggregates
// (count, count_distinct, sum, avg, min, max, stddev, pct, earliest,
// latest) grouped by fields and bin() periods.
//
// A query of log events that sorts nothing answers newest first, as Logs
// Insights does: `limit 20` is the 20 most recent events (the whole range
// is read; a sort followed by a limit keeps only its top), while `limit
// any 20` stops at the 20th event found.
//
// It is pure: no I/O, no clock. The caller reads events (in any order)
// and hands them to an Exec one at a time; only the commands that need
// their whole input (stats, sort, dedup) hold records, and a sort followed
// by a limit keeps only the top of its input.
//
// It must not import wharf's store, API or service packages.
package logsinsights
