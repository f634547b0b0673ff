package state

import (
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// NewDeployment makes a new PRIMARY deployment of td for the service (the
// old primary becomes ACTIVE) and returns its id. The API calls it for
// CreateService and UpdateService; the service scheduler for a rollback.
func NewDeployment(svc *ecstypes.Service, rec *model.ServiceRecord, td ecstypes.TaskDefinition, now time.Time) string {
	id := model.NewDeploymentID()
	var prev ecstypes.Deployment
	for i := range svc.Deployments {
		if shape.Deref(svc.Deployments[i].Status) == model.DeploymentPrimary {
			prev = svc.Deployments[i]
		}
		svc.Deployments[i].Status = new(model.DeploymentActive)
	}
	d := ecstypes.Deployment{
		// Settings ECS keeps per deployment carry over from the previous
		// primary; the caller replaces those its request names.
		ServiceConnectConfiguration: prev.ServiceConnectConfiguration,
		VolumeConfigurations:        prev.VolumeConfigurations,
		VpcLatticeConfigurations:    prev.VpcLatticeConfigurations,

		Id:                       new(id),
		Status:                   new(model.DeploymentPrimary),
		TaskDefinition:           td.TaskDefinitionArn,
		DesiredCount:             svc.DesiredCount,
		CreatedAt:                shape.TimeOf(now),
		UpdatedAt:                shape.TimeOf(now),
		LaunchType:               svc.LaunchType,
		CapacityProviderStrategy: svc.CapacityProviderStrategy,
		PlatformVersion:          svc.PlatformVersion,
		NetworkConfiguration:     svc.NetworkConfiguration,
		RolloutState:             ecstypes.DeploymentRolloutStateInProgress,
		RolloutStateReason:       new("ECS deployment " + id + " in progress."),
	}
	svc.Deployments = append([]ecstypes.Deployment{d}, svc.Deployments...)
	svc.TaskDefinition = td.TaskDefinitionArn
	if rec.Definitions == nil {
		rec.Definitions = map[string]ecstypes.TaskDefinition{}
	}
	rec.Definitions[id] = td
	rec.Steady = false
	return id
}
