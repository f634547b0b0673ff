package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSelectedEnv(t *testing.T) {
	t.Setenv("APP_COLOR", "blue")
	t.Setenv("EXACT_NAME", "x")
	t.Setenv("OTHER_THING", "y")
	env := selectedEnv("APP_*,EXACT_NAME")
	if env["APP_COLOR"] != "blue" || env["EXACT_NAME"] != "x" {
		t.Fatalf("missing selected vars: %v", env)
	}
	if _, ok := env["OTHER_THING"]; ok {
		t.Fatalf("unselected var shown: %v", env)
	}
}

func TestCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	if got := check([]string{srv.URL + "/ok"}); got != 0 {
		t.Errorf("check 2xx = %d, want 0", got)
	}
	if got := check([]string{srv.URL + "/bad"}); got != 1 {
		t.Errorf("check 500 = %d, want 1", got)
	}
	if got := check([]string{"http://127.0.0.1:1/"}); got != 1 {
		t.Errorf("check unreachable = %d, want 1", got)
	}
}

func TestSleep(t *testing.T) {
	start := time.Now()
	if sleep([]string{"0.05"}) != 0 || sleep([]string{"10ms"}) != 0 {
		t.Fatal("sleep failed")
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Fatal("sleep too short")
	}
	if sleep([]string{"soon"}) != 2 {
		t.Fatal("bad duration accepted")
	}
}

func TestParseFlagsExitCodeSet(t *testing.T) {
	if c := parseFlags([]string{"-listen", ":1"}); c.exitCodeSet {
		t.Fatal("exitCodeSet without -exit-code")
	}
	if c := parseFlags([]string{"-exit-code", "0"}); !c.exitCodeSet {
		t.Fatal("exitCodeSet not set by -exit-code 0")
	}
}
