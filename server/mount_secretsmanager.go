package server

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/secretsmanager"
	"github.com/wharfhq/wharf/keyring"
)

func init() {
	mounts = append(mounts, func(m *Mounter) {
		kr, err := openKeyring(m)
		sm := secretsmanager.New(m.DB, kr, m.Log)
		svc := sm.Service()
		if err != nil {
			refuseAll(svc, err, m)
			m.API.RegisterJSON(svc)
			return
		}
		m.API.RegisterJSON(svc)
		m.Go("secretsmanager purge", func(ctx context.Context) { sm.RunPurge(ctx, time.Minute) })
	})
}

// openKeyring opens the keyring that seals secret values, in the data dir
// (in memory when there is none, as for the fuzz tests).
func openKeyring(m *Mounter) (*keyring.Keyring, error) {
	if m.Cfg.DataDir == "" {
		return keyring.Ephemeral(), nil
	}
	return keyring.Open(m.Cfg.DataDir)
}

// refuseAll makes every operation of svc fail because its keyring could
// not be opened: the log says why, callers get a ServerException.
func refuseAll(svc *awsapi.JSONService, cause error, m *Mounter) {
	m.Log.Error("keyring unavailable: "+svc.SigningName+" refuses every call", "err", cause)
	for op := range svc.Ops {
		svc.Ops[op] = func(context.Context, []byte) (any, error) {
			return nil, &awsapi.Error{Code: awsapi.CodeServerException, Fault: awsapi.ServerFault,
				Message: "wharf could not open its keyring, so it cannot read or store secrets; the server log says why"}
		}
	}
}
