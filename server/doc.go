// Package server assembles one wharf control plane: it opens the store,
// mounts every AWS service on the shared HTTP port and serves it until its
// context ends. cmd/wharf and the end-to-end tests both start wharf through
// here, so a test runs exactly what a user runs.
package server
