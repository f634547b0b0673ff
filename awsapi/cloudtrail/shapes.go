package cloudtrail

import (
	"github.com/wharfhq/wharf/api/shape"
)

// The shapes of LookupEvents, hand-written after the CloudTrail API
// reference (no Smithy model of CloudTrail is in shared/aws-models).

// ServiceTarget is the X-Amz-Target prefix of CloudTrail.
const ServiceTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"

// SigningName is CloudTrail's SigV4 service name.
const SigningName = "cloudtrail"

// Lookup attribute keys (LookupAttributeKey).
const (
	keyEventID      = "EventId"
	keyEventName    = "EventName"
	keyReadOnly     = "ReadOnly"
	keyUsername     = "Username"
	keyResourceType = "ResourceType"
	keyResourceName = "ResourceName"
	keyEventSource  = "EventSource"
	keyAccessKeyID  = "AccessKeyId"
)

var lookupKeys = []string{keyEventID, keyEventName, keyReadOnly, keyUsername, keyResourceType, keyResourceName, keyEventSource, keyAccessKeyID}

// LookupAttribute is one filter.
type LookupAttribute struct {
	AttributeKey   *string `json:"AttributeKey,omitempty"`
	AttributeValue *string `json:"AttributeValue,omitempty"`
}

// LookupEventsRequest is LookupEvents' input.
type LookupEventsRequest struct {
	LookupAttributes []LookupAttribute `json:"LookupAttributes,omitempty"`
	StartTime        shape.Timestamp   `json:"StartTime,omitzero"`
	EndTime          shape.Timestamp   `json:"EndTime,omitzero"`
	EventCategory    *string           `json:"EventCategory,omitempty"`
	MaxResults       *int32            `json:"MaxResults,omitempty"`
	NextToken        *string           `json:"NextToken,omitempty"`
}

// Resource is a resource an event names.
type Resource struct {
	ResourceType *string `json:"ResourceType,omitempty"`
	ResourceName *string `json:"ResourceName,omitempty"`
}

// Event is one event of the trail.
type Event struct {
	EventID         *string         `json:"EventId,omitempty"`
	EventName       *string         `json:"EventName,omitempty"`
	ReadOnly        *string         `json:"ReadOnly,omitempty"`
	AccessKeyID     *string         `json:"AccessKeyId,omitempty"`
	EventTime       shape.Timestamp `json:"EventTime,omitzero"`
	EventSource     *string         `json:"EventSource,omitempty"`
	Username        *string         `json:"Username,omitempty"`
	Resources       []Resource      `json:"Resources"`
	CloudTrailEvent *string         `json:"CloudTrailEvent,omitempty"`
}

// LookupEventsResponse is LookupEvents' output.
type LookupEventsResponse struct {
	Events    []Event `json:"Events"`
	NextToken *string `json:"NextToken,omitempty"`
}
