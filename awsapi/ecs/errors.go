package ecs

import (
	"fmt"

	"github.com/wharfhq/wharf/awsapi"
)

// ECS error codes, as in the service model.
const (
	codeClusterNotFound           = "ClusterNotFoundException"
	codeClusterContainsServices   = "ClusterContainsServicesException"
	codeClusterContainsTasks      = "ClusterContainsTasksException"
	codeClusterContainsInstances  = "ClusterContainsContainerInstancesException"
	codeResourceNotFound          = "ResourceNotFoundException"
	codeResourceInUse             = "ResourceInUseException"
	codeUpdateInProgress          = "UpdateInProgressException"
	codeServiceNotFound           = "ServiceNotFoundException"
	codeTaskDefinitionNotFoundMsg = "Unable to describe task definition."
)

func invalidParam(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeInvalidParameter, format, args...)
}

func clientError(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeClientException, format, args...)
}

func clusterNotFound(name string) error {
	return awsapi.Errorf(codeClusterNotFound, "Cluster not found: %q does not exist in this region (create it with CreateCluster).", name)
}

func taskDefNotFound(ref string) error {
	return clientError("%s No task definition matches %q.", codeTaskDefinitionNotFoundMsg, ref)
}

// internal wraps an unexpected failure with the operation it interrupted;
// awsapi turns it into a ServerException and logs the detail.
func internal(op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
