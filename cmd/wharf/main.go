// Command wharf runs Amazon ECS on your own machine: `wharf up` serves the
// ECS API (and the AWS APIs ECS workloads use) on one port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/controller/service"
	"github.com/wharfhq/wharf/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `wharf — Amazon ECS you run yourself

Usage:
  wharf up [--listen HOST:PORT] [--data-dir DIR] [--auth] [--host-name NAME]… [--no-agent] [--log-level LEVEL]
  wharf ca [--data-dir DIR] [--host-name NAME]…
  wharf version

Run 'wharf up -h' for the flags of up.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wharf:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "up":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return up(ctx, args[1:], stdout, stderr)
	case "ca":
		return ca(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "wharf %s (%s)\n", version, goVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// ca makes the local CA and a server certificate under DATA_DIR/tls,
// which `wharf up` serves when it listens off loopback.
func ca(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ca", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", server.DefaultDataDir(), "directory for wharf's state")
	var names stringList
	fs.Var(&names, "host-name", "a name or address the certificate is for, besides localhost, loopback and this host's name and addresses (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := server.MakeCA(*dataDir, names, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `wharf's local CA is %s; the server certificate %s (key %s)
is served by 'wharf up' when it listens off loopback (or give --tls-cert/--tls-key).
Trust the CA:
  aws CLI and SDKs:  export AWS_CA_BUNDLE=%s
  Debian/Ubuntu:     sudo cp %s /usr/local/share/ca-certificates/wharf-ca.crt && sudo update-ca-certificates
  Docker (ECR):      sudo mkdir -p /etc/docker/certs.d/HOST:PORT && sudo cp %s /etc/docker/certs.d/HOST:PORT/ca.crt
`, f.CACert, f.Cert, f.Key, f.CACert, f.CACert, f.CACert)
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown Go"
}

// up serves until ctx ends (SIGINT or SIGTERM) or the HTTP server fails.
func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", server.DefaultListen, "HOST:PORT for every AWS API wharf serves")
	dataDir := fs.String("data-dir", server.DefaultDataDir(), "directory for wharf's state")
	account := fs.String("account", "000000000000", "AWS account id wharf answers for")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	noAgent := fs.Bool("no-agent", false, "serve the API only; run no tasks on this host (no Docker needed)")
	bindIP := fs.String("bind-ip", "127.0.0.1", "host address that task ports are published on")
	dockerHost := fs.String("docker-host", "", "Docker engine address (default: DOCKER_HOST or the local socket)")
	dnsListen := fs.String("dns-listen", "127.0.0.1:8553", `HOST:PORT of the DNS server for Cloud Map namespaces ("" = none); containers use port 53 on the Docker bridge`)
	window := fs.Duration("stabilization-window", service.DefaultStabilizationWindow, "how long a service's new task must stay RUNNING and healthy before it counts towards its deployment")
	auth := fs.Bool("auth", false, "require every AWS call to be signed with a known key (always on when --listen is not a loopback address)")
	var hostNames stringList
	fs.Var(&hostNames, "host-name", "a name clients reach wharf by besides its IP addresses and localhost (repeatable); requests to other names are refused")
	keyringFile := fs.String("keyring-file", "", "file holding the key that seals secrets (default DATA_DIR/keyring.json; the WHARF_KEYRING_KEY environment variable wins)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the PEM private key of --tls-cert")
	storeEtcd := fs.String("store-etcd", "", "keep the store in etcd at these client URLs (comma-separated, e.g. http://127.0.0.1:2379) instead of DATA_DIR/wharf.db")
	storeEtcdPrefix := fs.String("store-etcd-prefix", "/wharf/", "the etcd key prefix wharf keeps its records under (with --store-etcd)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var etcdEndpoints []string
	for _, e := range strings.Split(*storeEtcd, ",") {
		if e = strings.TrimSpace(e); e != "" {
			etcdEndpoints = append(etcdEndpoints, e)
		}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	srv, err := server.Start(ctx, server.Config{Listen: *listen, DataDir: *dataDir, Account: *account, Log: log,
		NoAgent: *noAgent, BindIP: *bindIP, DockerHost: *dockerHost, DNSListen: *dnsListen, StabilizationWindow: *window, Version: version,
		Auth: *auth, HostNames: hostNames, KeyringFile: *keyringFile, KeyringKey: os.Getenv("WHARF_KEYRING_KEY"), TLSCert: *tlsCert, TLSKey: *tlsKey,
		StoreEtcd: etcdEndpoints, StoreEtcdPrefix: *storeEtcdPrefix})
	if err != nil {
		return err
	}
	creds, created := srv.RootCredentials()
	if created {
		fmt.Fprintf(stdout, "wharf wrote the account's root keys to %s (mode 0600); use them with\n  AWS_SHARED_CREDENTIALS_FILE=%s aws --endpoint-url %s ecs list-clusters\n", creds, creds, srv.URL())
	}
	if !srv.AuthOn() {
		fmt.Fprintf(stderr, "WARNING: auth is off: every process on this host, host-network task containers included, has full access to wharf's APIs and secrets. Start with --auth to require signed requests.\n")
	}
	log.Info("wharf is up", "version", version, "endpoint", srv.URL(), "data_dir", *dataDir, "account", *account)
	try := "aws --endpoint-url " + srv.URL() + " ecs list-clusters"
	if srv.AuthOn() {
		try = "AWS_SHARED_CREDENTIALS_FILE=" + creds + " " + try
	}
	fmt.Fprintf(stdout, "wharf %s serving on %s (data in %s, auth %s)\n  try: %s\n",
		version, srv.URL(), *dataDir, map[bool]string{true: "on", false: "off"}[srv.AuthOn()], try)

	select {
	case <-ctx.Done():
	case err := <-srv.Done():
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
