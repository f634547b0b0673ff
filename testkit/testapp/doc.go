// Command testapp is the workload used by wharf's end-to-end tests. It is a
// small, static (CGO_ENABLED=0), stdlib-only program that the test images in
// testkit/images ship as /testapp, so tests can make a container serve HTTP,
// exit with a given code, crash, burn CPU, allocate memory, print logs, turn
// unhealthy, or ignore SIGTERM — all by flags, without a shell.
//
// Flags (all optional):
//
//	-listen :8080          serve HTTP (see below)
//	-exit-code N           exit with code N after -exit-after (immediately if
//	                       -exit-after is 0); without -exit-code and
//	                       -exit-after the program runs until signalled
//	-exit-after D          exit after D (with -exit-code, default 0)
//	-crash-after D         exit 1 after D
//	-cpu-load N            keep N goroutines busy
//	-alloc-mb N            allocate, touch and hold N MiB
//	-print N               print N lines to stdout (every second one a JSON
//	                       line such as {"level":"error","msg":"..."})
//	-print-interval D      pause between printed lines (-exit-after and
//	                       -crash-after count from the end of the output)
//	-stderr                print each line to stderr too
//	-unhealthy-after D     /health answers 500 once D has passed
//	-term-delay D          on SIGTERM/SIGINT print "received SIGTERM", wait D, exit 0
//	-ignore-term           on SIGTERM print "received SIGTERM (ignored)" and go on
//	-show-env LIST         comma-separated names (or PREFIX*) shown by "/"
//
// HTTP endpoints: / (JSON {hostname, env, args}), /health, /env (the whole
// environment as JSON), /exit?code=N, /echo (echoes the body),
// /fetch?url=U (GETs U and answers with its status and body; 502 if the
// request fails), /sleep?d=D.
//
// Subcommands, usable as health checks or commands without a shell:
//
//	testapp check URL   exit 0 if GET URL answers 2xx, else 1
//	testapp sleep N     sleep N seconds (or a Go duration such as 1500ms)
//	testapp env         print the environment, one KEY=VALUE a line, sorted
//
// testkit packages are test support only: no production package of wharf may
// import them.
package main
