// Package testdb opens the stores that unit tests run on: a real bbolt
// store in the test's temporary directory, closed when the test ends.
// Only tests import it.
package testdb

import (
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/store/bolt"
)

// Bolt opens a bbolt store with opts (bolt.Options{MaxTxnOps: 128} for
// etcd's transaction bound) in t's temporary directory and closes it
// when the test and its cleanups end.
func Bolt(t testing.TB, opts bolt.Options) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
