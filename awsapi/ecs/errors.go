package ecs

import (
	"fmt"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
)

// ECS error codes, as in the service model.
const (
	codeClusterNotFound          = ecstypes.ErrClusterNotFoundException
	codeClusterContainsServices  = ecstypes.ErrClusterContainsServicesException
	codeClusterContainsTasks     = ecstypes.ErrClusterContainsTasksException
	codeClusterContainsInstances = ecstypes.ErrClusterContainsContainerInstancesException
	codeResourceNotFound         = ecstypes.ErrResourceNotFoundException
	codeResourceInUse            = ecstypes.ErrResourceInUseException
	codeUpdateInProgress         = ecstypes.ErrUpdateInProgressException
	codeServiceNotFound          = ecstypes.ErrServiceNotFoundException
)

// ECS's own wording of its most common answers, word for word: scripts
// and SDK users match on them.
const (
	msgClusterNotFound        = "Cluster not found."
	msgServiceNotFound        = "Service not found."
	msgTaskDefNotFound        = "Unable to describe task definition."
	msgLaunchTaskDefNotFound  = "TaskDefinition not found."
	msgRevisionMissing        = "Revision is missing."
	msgServiceScaledAboveZero = "The service cannot be stopped while it is scaled above 0."
)

func invalidParam(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeInvalidParameter, format, args...)
}

func clientError(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeClientException, format, args...)
}

// clusterNotFound is ECS's answer for a cluster that does not exist (or is
// INACTIVE); ECS does not name the cluster in it.
func clusterNotFound(string) error {
	return awsapi.Errorf(codeClusterNotFound, "%s", msgClusterNotFound)
}

// taskDefNotFound is DescribeTaskDefinition's (and DeregisterTaskDefinition's)
// answer for a revision or family that does not exist.
func taskDefNotFound(string) error { return clientError("%s", msgTaskDefNotFound) }

// invalidRevision is ECS's answer for FAMILY:REV where REV is not a
// revision number.
func invalidRevision(rev string) error {
	return invalidParam("Invalid revision number. Number: %s", rev)
}

// internal wraps an unexpected failure with the operation it interrupted;
// awsapi turns it into a ServerException and logs the detail.
func internal(op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
