package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config holds the parsed flags.
type config struct {
	listen         string
	exitCode       int
	exitCodeSet    bool
	exitAfter      time.Duration
	crashAfter     time.Duration
	cpuLoad        int
	allocMB        int
	print          int
	printInterval  time.Duration
	stderr         bool
	unhealthyAfter time.Duration
	termDelay      time.Duration
	ignoreTerm     bool
	showEnv        string
}

var (
	started = time.Now()
	held    [][]byte // memory held by -alloc-mb
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "check":
			os.Exit(check(os.Args[2:]))
		case "sleep":
			os.Exit(sleep(os.Args[2:]))
		case "env":
			for _, kv := range sortedEnv() {
				fmt.Println(kv)
			}
			return
		}
	}
	cfg := parseFlags(os.Args[1:])
	run(cfg)
}

func parseFlags(args []string) config {
	var c config
	fs := flag.NewFlagSet("testapp", flag.ExitOnError)
	fs.StringVar(&c.listen, "listen", "", "serve HTTP on this address, e.g. :8080")
	fs.IntVar(&c.exitCode, "exit-code", 0, "exit with this code after -exit-after")
	fs.DurationVar(&c.exitAfter, "exit-after", 0, "exit after this duration")
	fs.DurationVar(&c.crashAfter, "crash-after", 0, "exit 1 after this duration")
	fs.IntVar(&c.cpuLoad, "cpu-load", 0, "number of busy goroutines")
	fs.IntVar(&c.allocMB, "alloc-mb", 0, "MiB to allocate, touch and hold")
	fs.IntVar(&c.print, "print", 0, "lines to print to stdout")
	fs.DurationVar(&c.printInterval, "print-interval", 0, "pause between printed lines")
	fs.BoolVar(&c.stderr, "stderr", false, "print each line to stderr too")
	fs.DurationVar(&c.unhealthyAfter, "unhealthy-after", 0, "/health answers 500 after this duration")
	fs.DurationVar(&c.termDelay, "term-delay", 0, "delay before exiting on SIGTERM")
	fs.BoolVar(&c.ignoreTerm, "ignore-term", false, "ignore SIGTERM")
	fs.StringVar(&c.showEnv, "show-env", "WHARF_*,ECS_*,AWS_*,APP_*", "env names (or PREFIX*) shown by /")
	_ = fs.Parse(args) // ExitOnError
	fs.Visit(func(f *flag.Flag) { c.exitCodeSet = c.exitCodeSet || f.Name == "exit-code" })
	return c
}

// sigs subscribes before main runs: a container stopped right after it
// started would otherwise meet Go's default SIGTERM handling (exit 2).
var sigs = func() chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	return ch
}()

func run(c config) {
	go handleSignals(c, sigs)

	for i := 0; i < c.cpuLoad; i++ {
		go func() {
			for n := 0; ; n++ {
				_ = n * n
			}
		}()
	}
	if c.allocMB > 0 {
		alloc(c.allocMB)
	}
	if c.listen != "" {
		go serve(c)
	}
	printLines(c) // the exit timers count from the end of the output
	if c.crashAfter > 0 {
		time.AfterFunc(c.crashAfter, func() {
			fmt.Fprintln(os.Stderr, "testapp: crashing")
			os.Exit(1)
		})
	}
	if c.exitCodeSet || c.exitAfter > 0 {
		time.AfterFunc(c.exitAfter, func() { exit(c.exitCode) })
	}
	select {}
}

func handleSignals(c config, sigs <-chan os.Signal) {
	for s := range sigs {
		name := "SIGTERM"
		if s == syscall.SIGINT {
			name = "SIGINT"
		}
		if c.ignoreTerm {
			fmt.Printf("received %s (ignored)\n", name)
			continue
		}
		fmt.Printf("received %s\n", name)
		time.Sleep(c.termDelay)
		os.Exit(0)
	}
}

func exit(code int) {
	fmt.Printf("testapp: exiting with code %d\n", code)
	os.Exit(code)
}

// alloc allocates n MiB one MiB at a time, writing every page so the memory
// is really resident (and a memory limit is really hit).
func alloc(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		held = append(held, b)
	}
	fmt.Printf("testapp: allocated %d MiB\n", n)
}

func printLines(c config) {
	for i := 1; i <= c.print; i++ {
		line := fmt.Sprintf("testapp line %d", i)
		if i%2 == 0 {
			b, _ := json.Marshal(map[string]any{"level": "error", "msg": line, "n": i})
			line = string(b)
		}
		fmt.Println(line)
		if c.stderr {
			fmt.Fprintf(os.Stderr, "stderr %s\n", line)
		}
		if i < c.print {
			time.Sleep(c.printInterval)
		}
	}
}

func serve(c config) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		host, _ := os.Hostname()
		writeJSON(w, map[string]any{"hostname": host, "env": selectedEnv(c.showEnv), "args": os.Args})
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if c.unhealthyAfter > 0 && time.Since(started) > c.unhealthyAfter {
			http.Error(w, "unhealthy", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		writeJSON(w, env)
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil {
			http.Error(w, "bad code", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "exiting with code %d\n", code)
		w.(http.Flusher).Flush()
		go func() { time.Sleep(50 * time.Millisecond); exit(code) }()
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	mux.HandleFunc("/fetch", fetch)
	mux.HandleFunc("/ws", wsEcho) // ws.go
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, "bad duration", http.StatusBadRequest)
			return
		}
		time.Sleep(d)
		fmt.Fprintf(w, "slept %s\n", d)
	})
	fmt.Printf("testapp: listening on %s\n", c.listen)
	if err := http.ListenAndServe(c.listen, mux); err != nil {
		fmt.Fprintf(os.Stderr, "testapp: %v\n", err)
		os.Exit(2)
	}
}

// fetch GETs ?url= and answers with the upstream status and body.
func fetch(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(r.URL.Query().Get("url"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func selectedEnv(list string) map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		for _, p := range strings.Split(list, ",") {
			if p == k || (strings.HasSuffix(p, "*") && strings.HasPrefix(k, strings.TrimSuffix(p, "*"))) {
				env[k] = v
			}
		}
	}
	return env
}

func sortedEnv() []string {
	env := os.Environ()
	sort.Strings(env)
	return env
}

// check implements "testapp check URL".
func check(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: testapp check URL")
		return 2
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "check: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(os.Stderr, "check: %s\n", resp.Status)
		return 1
	}
	return 0
}

// sleep implements "testapp sleep N" (seconds, or a Go duration).
func sleep(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: testapp sleep SECONDS|DURATION")
		return 2
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		secs, err2 := strconv.ParseFloat(args[0], 64)
		if err2 != nil {
			fmt.Fprintf(os.Stderr, "sleep: bad duration %q\n", args[0])
			return 2
		}
		d = time.Duration(secs * float64(time.Second))
	}
	time.Sleep(d)
	return 0
}
