package ecs

import "github.com/wharfhq/wharf/awsapi"

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// orEmpty turns nil into an empty slice, for the lists ECS always returns.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func awsErr(code, format string, args ...any) error { return awsapi.Errorf(code, format, args...) }
