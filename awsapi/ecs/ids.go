package ecs

import (
	"crypto/rand"
	"encoding/hex"
)

// newID returns 32 hex digits, the shape of ECS task and container
// instance ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
