package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	listen := flag.String("listen", ":8080", "serve HTTP on this address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /aws-creds", awsCreds)
	mux.HandleFunc("GET /ssm-parameter", ssmParameter)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Printf("awscreds: listening on %s\n", *listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "awscreds: %v\n", err)
		os.Exit(2)
	}
}

// awsCreds answers what the SDK's default credential chain retrieves. The
// SDK keeps no role, so RoleArn is read from the endpoint the chain used.
// Test program only: it answers the secret key too.
func awsCreds(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		http.Error(w, "load config: "+err.Error(), http.StatusInternalServerError)
		return
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		http.Error(w, "retrieve credentials: "+err.Error(), http.StatusBadGateway)
		return
	}
	out := map[string]any{
		"AccessKeyId": creds.AccessKeyID, "SecretAccessKey": creds.SecretAccessKey, "SessionToken": creds.SessionToken,
		"Source": creds.Source, "CanExpire": creds.CanExpire, "Expires": creds.Expires,
	}
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://169.254.170.2"+rel, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var v struct{ RoleArn string }
			_ = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
			out["RoleArn"] = v.RoleArn
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// ssmParameter reads the parameter ?name= with the SDK's defaults only: the
// endpoint (AWS_ENDPOINT_URL), region and credentials the container was
// given. It answers {"Value": …} or {"Code": …, "Message": …}.
func ssmParameter(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		http.Error(w, "load config: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out := map[string]string{}
	got, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(r.URL.Query().Get("name"))})
	var ae smithy.APIError
	switch {
	case err == nil:
		out["Value"] = aws.ToString(got.Parameter.Value)
	case errors.As(err, &ae):
		out["Code"], out["Message"] = ae.ErrorCode(), ae.ErrorMessage()
	default:
		out["Code"], out["Message"] = "ClientError", err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
