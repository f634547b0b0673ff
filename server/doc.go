// Package server assembles one wharf control plane: it opens the store,
// mounts every AWS service on the shared HTTP port, runs every controller
// and data plane under one supervisor (controller/ctrl), and serves until
// Shutdown. Both lists, services and background runners, are explicit in
// newControlPlane; there is no init() registration. cmd/wharf and the
// end-to-end tests both start wharf through here, so a test runs exactly
// what a user runs.
package server
