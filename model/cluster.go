package model

import "time"

// InactiveClusterRetention is how long a deleted (INACTIVE) cluster stays
// describable. ECS documents only that INACTIVE clusters "might remain
// discoverable in your account for a period of time"; wharf keeps them an
// hour, as it keeps stopped tasks.
const InactiveClusterRetention = time.Hour

// InactiveClusterExpired reports whether a cluster deleted at deletedAt may
// be forgotten at now. A cluster whose deletion time is unknown (zero) is
// never expired: its time is recorded first, so it is kept a full retention.
func InactiveClusterExpired(deletedAt, now time.Time, retention time.Duration) bool {
	return !deletedAt.IsZero() && !now.Before(deletedAt.Add(retention))
}
