package server

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/credentials"
)

func init() {
	mounts = append(mounts, func(m *Mounter) {
		kr, err := openKeyring(m)
		if err != nil {
			m.Log.Error("keyring unavailable: tasks get no role credentials, and minted keys are not recognised", "err", err)
			return
		}
		cs := credentials.New(m.DB, kr, m.Log)
		m.API.Handle("POST "+agentproto.CredentialsPath, cs.Handler())
		m.API.SetPrincipalResolver(cs.Resolve)
		m.Go("credentials purge", func(ctx context.Context) { cs.RunPurge(ctx, 10*time.Minute) })
	})
}
