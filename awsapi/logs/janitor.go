package logs

import (
	"context"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/store"
)

// janitorBatch bounds the chunks one janitor transaction deletes, so that
// expiring a large backlog never holds the writer for long.
const janitorBatch = 256

// Sweep runs one janitor pass: it deletes the events of deleted groups and
// streams (tombstones first), then expires events older than their
// group's retention. controller/logretention runs it periodically and
// whenever Nudges fires.
func (a *API) Sweep(ctx context.Context) error {
	if err := a.sweepTombstones(ctx); err != nil {
		return err
	}
	return a.expire(ctx)
}

// sweepTombstones deletes the events of deleted groups and streams.
func (a *API) sweepTombstones(ctx context.Context) error {
	var marks []string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List(tombstonesPrefix, "", 0)
		for _, kv := range kvs {
			marks = append(marks, kv.Key)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("logs janitor: list deletions: %w", err)
	}
	for _, mark := range marks {
		ids := strings.TrimPrefix(mark, tombstonesPrefix)
		prefix := "e/" + ids + "/"
		for {
			var more bool
			_, err := a.DB.Update(ctx, func(tx store.Tx) error {
				kvs, err := tx.List(prefix, "", janitorBatch)
				if err != nil {
					return err
				}
				for _, kv := range kvs {
					if err := tx.Delete(kv.Key); err != nil {
						return err
					}
				}
				if more = len(kvs) == janitorBatch; !more {
					return tx.Delete(mark)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("logs janitor: delete events of %s: %w", ids, err)
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// expire applies every group's retention to its streams.
func (a *API) expire(ctx context.Context) error {
	var groups []groupRec
	var keys []string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("g/", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			g, ok, err := store.Get[groupRec](tx, kv.Key)
			if err != nil {
				return err
			}
			if ok && g.RetentionInDays > 0 {
				groups, keys = append(groups, g), append(keys, kv.Key)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logs janitor: list groups: %w", err)
	}
	now := a.nowMillis()
	for i, g := range groups {
		cutoff := now - int64(g.RetentionInDays)*dayMs
		if err := a.expireGroup(ctx, keys[i], g.ID, cutoff); err != nil {
			return fmt.Errorf("logs janitor: expire group %s: %w", g.Name, err)
		}
	}
	return nil
}

// expireGroup deletes the events of one group older than cutoff, stream by
// stream, a bounded batch of chunks per transaction.
func (a *API) expireGroup(ctx context.Context, groupKey string, gid uint64, cutoff int64) error {
	var streams []streamRec
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		var err error
		streams, err = store.List[streamRec](tx, streamsPrefix(gid))
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range streams {
		if !s.HasEvents || s.Events == 0 || s.FirstEvent >= cutoff {
			continue
		}
		for {
			var more bool
			_, err := a.DB.Update(ctx, func(tx store.Tx) error {
				var err error
				more, err = expireChunks(tx, groupKey, gid, s.Name, cutoff)
				return err
			})
			if err != nil {
				return fmt.Errorf("stream %s: %w", s.Name, err)
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// expireChunks deletes up to janitorBatch chunks of a stream that end
// before cutoff and trims the chunk that straddles it, updating the
// stream's and group's figures. more reports that chunks may remain.
func expireChunks(tx store.Tx, groupKey string, gid uint64, stream string, cutoff int64) (more bool, err error) {
	g, ok, err := store.Get[groupRec](tx, groupKey)
	if err != nil || !ok || g.ID != gid {
		return false, err // deleted meanwhile: the tombstone takes over
	}
	s, ok, err := store.Get[streamRec](tx, streamKey(gid, stream))
	if err != nil || !ok {
		return false, err
	}
	prefix := eventsPrefix(gid, s.ID)
	kvs, err := tx.List(prefix, "", janitorBatch+1)
	if err != nil {
		return false, err
	}
	var freed, dropped int64
	done := false
	for i, kv := range kvs {
		if i == janitorBatch {
			more = true
			break
		}
		if last, err := parseHex16(kv.Key[len(prefix):min(len(kv.Key), len(prefix)+16)]); err == nil && int64(last) < cutoff {
			// Wholly expired (its key is its last event): no need to decode it.
			n, bytes, err := chunkStats(kv.Value)
			if err != nil {
				return false, fmt.Errorf("%s: %w", kv.Key, err)
			}
			freed, dropped = freed+bytes, dropped+n
			if err := tx.Delete(kv.Key); err != nil {
				return false, err
			}
			continue
		}
		evs, err := decodeChunk(kv.Value)
		if err != nil {
			return false, fmt.Errorf("%s: %w", kv.Key, err)
		}
		// The first chunk still holding live events: trim it.
		keep := 0
		for keep < len(evs) && evs[keep].ts < cutoff {
			freed += int64(len(evs[keep].msg))
			keep++
		}
		if keep > 0 {
			dropped += int64(keep)
			if err := tx.Put(kv.Key, encodeChunk(evs[keep:])); err != nil {
				return false, err
			}
		}
		if keep < len(evs) {
			s.FirstEvent = evs[keep].ts
		}
		done = true
		break
	}
	if !done && !more {
		s.FirstEvent = s.LastEvent // nothing left: CloudWatch keeps the stream's times
	}
	if dropped == 0 {
		return more, nil
	}
	s.Events -= dropped
	s.StoredBytes -= freed
	g.StoredBytes -= freed
	if err := store.Put(tx, streamKey(gid, stream), s); err != nil {
		return false, err
	}
	return more, store.Put(tx, groupKey, g)
}
