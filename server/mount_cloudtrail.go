package server

import "github.com/wharfhq/wharf/awsapi/cloudtrail"

// The audit trail: every AWS call the front door sees is recorded in a
// bounded ring and read back through CloudTrail's LookupEvents.
func mountCloudTrail(m *mounter) {
	trail := cloudtrail.New(cloudtrail.DefaultCapacity)
	m.API.RegisterJSON(trail.Service())
	m.API.SetAuditor(trail.Record)
}
