package server

import (
	"path/filepath"

	"github.com/wharfhq/wharf/awsapi/logs"
	"github.com/wharfhq/wharf/store/bolt"
)

// logsFile holds CloudWatch Logs' groups, streams and events, apart from
// the control plane's store: log events are data-plane volume that must
// not churn wharf.db's revisions and watch history.
const logsFile = "logs.db"

// CloudWatch Logs over JSON 1.1, on its own store (closed at shutdown).
// Not served without a data dir (nil).
func mountLogs(m *mounter) *logs.API {
	if m.Cfg.DataDir == "" {
		m.Log.Warn("logs: no data dir; CloudWatch Logs is not served")
		return nil
	}
	db, err := bolt.Open(filepath.Join(m.Cfg.DataDir, logsFile), bolt.Options{History: 1})
	if err != nil {
		m.Log.Error("logs: CloudWatch Logs is not served", "err", err)
		return nil
	}
	m.closers = append(m.closers, db.Close)
	api := logs.New(db, m.Log.With("service", "logs"))
	m.API.RegisterJSON(api.Service())
	return api
}
