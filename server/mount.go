package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Mounter is what a service needs to join wharf: the shared HTTP front
// door, the store, a logger, the configuration, and a way to run
// background loops (controllers, data planes) for the server's lifetime.
type Mounter struct {
	API *awsapi.Server
	DB  store.Backend
	Log *slog.Logger
	Cfg Config
	// Go runs fn in the background until the server shuts down; fn must
	// return soon after ctx ends.
	Go func(name string, fn func(ctx context.Context))
}

// mounts are the services wharf serves. Each lives in its own file,
// mount_<service>.go, which appends to this list from an init function, so
// adding a service touches no shared code.
var mounts []func(*Mounter)

// JSONHealth is a tiny handler helper for wharf's own endpoints.
func jsonStatus(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
