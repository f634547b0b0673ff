package metrics

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileName is the metrics file under DATA_DIR.
const FileName = "metrics.gob"

// snapshot is the file's content: every series, as in memory.
type snapshot struct {
	Version int
	Series  []*series
}

// Save writes every series to path atomically (a temporary file renamed
// over it), so a crash leaves the previous snapshot whole.
func (s *Store) Save(path string) error {
	s.mu.RLock()
	snap := snapshot{Version: 1, Series: make([]*series, 0, len(s.series))}
	for _, se := range s.series {
		snap.Series = append(snap.Series, se)
	}
	// Encoding under the read lock: puts wait for it, which is bounded by
	// the data kept (a few MB for thousands of series).
	tmp, err := os.CreateTemp(filepath.Dir(path), FileName+".tmp*")
	if err != nil {
		s.mu.RUnlock()
		return fmt.Errorf("metrics: save: %w", err)
	}
	w := bufio.NewWriter(tmp)
	err = gob.NewEncoder(w).Encode(&snap)
	s.mu.RUnlock()
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("metrics: save %s: %w", path, err)
	}
	return nil
}

// Load reads the series saved at path into s (replacing what s holds); a
// missing file is an empty store.
func (s *Store) Load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("metrics: load: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&snap); err != nil {
		return fmt.Errorf("metrics: load %s: %w", path, err)
	}
	m := make(map[string]*series, len(snap.Series))
	for _, se := range snap.Series {
		m[se.ID.key()] = se
	}
	s.mu.Lock()
	s.series = m
	s.mu.Unlock()
	return nil
}
