package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/wharfhq/wharf/awsapi/logs"
	"github.com/wharfhq/wharf/store/bolt"
)

// logsFile holds CloudWatch Logs' groups, streams and events, apart from
// the control plane's store: log events are data-plane volume that must
// not churn wharf.db's revisions and watch history.
const logsFile = "logs.db"

func init() {
	mounts = append(mounts, func(m *Mounter) {
		if m.Cfg.DataDir == "" {
			m.Log.Warn("logs: no data dir; CloudWatch Logs is not served")
			return
		}
		db, err := bolt.Open(filepath.Join(m.Cfg.DataDir, logsFile), bolt.Options{History: 1})
		if err != nil {
			m.Log.Error("logs: CloudWatch Logs is not served", "err", err)
			return
		}
		api := logs.New(db, m.Log.With("service", "logs"))
		m.API.RegisterJSON(api.Service())
		m.Go("logs janitor", func(ctx context.Context) {
			api.RunJanitor(ctx, time.Minute)
			if err := db.Close(); err != nil {
				m.Log.Warn("logs: close store", "err", err)
			}
		})
	})
}
