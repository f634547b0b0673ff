package ecs

import (
	"context"
	"log/slog"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// API implements the ECS operations.
type API struct {
	awsapi.Base
	exec execConfig // ECS Exec (exec.go); empty refuses ExecuteCommand
}

// New returns the ECS API over db.
func New(db store.Backend, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log)}
}

// Service describes the ECS API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return speakECS(&awsapi.JSONService{
		SigningName:    ecstypes.SigningName,
		TargetPrefix:   ecstypes.ServiceTarget,
		ValidationCode: awsapi.CodeInvalidParameter,
		Known:          awsapi.KnownOperations(ecstypes.Operations),
		Errors:         ecstypes.Errors,
		Ops: map[string]awsapi.Handler{
			"CreateCluster":                 awsapi.JSON(a.CreateCluster),
			"DescribeClusters":              awsapi.JSON(a.DescribeClusters),
			"ListClusters":                  awsapi.JSON(a.ListClusters),
			"UpdateCluster":                 awsapi.JSON(a.UpdateCluster),
			"UpdateClusterSettings":         awsapi.JSON(a.UpdateClusterSettings),
			"DeleteCluster":                 awsapi.JSON(a.DeleteCluster),
			"PutClusterCapacityProviders":   awsapi.JSON(a.PutClusterCapacityProviders),
			"DescribeCapacityProviders":     awsapi.JSON(a.DescribeCapacityProviders),
			"CreateCapacityProvider":        awsapi.JSON(a.CreateCapacityProvider),
			"UpdateCapacityProvider":        awsapi.JSON(a.UpdateCapacityProvider),
			"DeleteCapacityProvider":        awsapi.JSON(a.DeleteCapacityProvider),
			"GetTaskProtection":             awsapi.JSON(a.GetTaskProtection),
			"UpdateTaskProtection":          awsapi.JSON(a.UpdateTaskProtection),
			"SubmitAttachmentStateChanges":  awsapi.JSON(a.SubmitAttachmentStateChanges),
			"UpdateContainerAgent":          awsapi.JSON(a.UpdateContainerAgent),
			"RegisterTaskDefinition":        awsapi.JSON(a.RegisterTaskDefinition),
			"DescribeTaskDefinition":        awsapi.JSON(a.DescribeTaskDefinition),
			"ListTaskDefinitions":           awsapi.JSON(a.ListTaskDefinitions),
			"ListTaskDefinitionFamilies":    awsapi.JSON(a.ListTaskDefinitionFamilies),
			"DeregisterTaskDefinition":      awsapi.JSON(a.DeregisterTaskDefinition),
			"DeleteTaskDefinitions":         awsapi.JSON(a.DeleteTaskDefinitions),
			"TagResource":                   awsapi.JSON(a.TagResource),
			"UntagResource":                 awsapi.JSON(a.UntagResource),
			"ListTagsForResource":           awsapi.JSON(a.ListTagsForResource),
			"ListAccountSettings":           awsapi.JSON(a.ListAccountSettings),
			"PutAccountSetting":             awsapi.JSON(a.PutAccountSetting),
			"PutAccountSettingDefault":      awsapi.JSON(a.PutAccountSettingDefault),
			"DeleteAccountSetting":          awsapi.JSON(a.DeleteAccountSetting),
			"RunTask":                       awsapi.JSON(a.RunTask),
			"StartTask":                     awsapi.JSON(a.StartTask),
			"StopTask":                      awsapi.JSON(a.StopTask),
			"DescribeTasks":                 awsapi.JSON(a.DescribeTasks),
			"ListTasks":                     awsapi.JSON(a.ListTasks),
			"RegisterContainerInstance":     awsapi.JSON(a.RegisterContainerInstance),
			"DescribeContainerInstances":    awsapi.JSON(a.DescribeContainerInstances),
			"ListContainerInstances":        awsapi.JSON(a.ListContainerInstances),
			"DeregisterContainerInstance":   awsapi.JSON(a.DeregisterContainerInstance),
			"SubmitTaskStateChange":         awsapi.JSON(a.SubmitTaskStateChange),
			"SubmitContainerStateChange":    awsapi.JSON(a.SubmitContainerStateChange),
			"DiscoverPollEndpoint":          awsapi.JSON(a.DiscoverPollEndpoint),
			"CreateService":                 awsapi.JSON(a.CreateService),
			"UpdateService":                 awsapi.JSON(a.UpdateService),
			"DeleteService":                 awsapi.JSON(a.DeleteService),
			"DescribeServices":              awsapi.JSON(a.DescribeServices),
			"ListServices":                  awsapi.JSON(a.ListServices),
			"UpdateContainerInstancesState": awsapi.JSON(a.UpdateContainerInstancesState),
			"PutAttributes":                 awsapi.JSON(a.PutAttributes),
			"ListAttributes":                awsapi.JSON(a.ListAttributes),
			"DeleteAttributes":              awsapi.JSON(a.DeleteAttributes),
			"ListServicesByNamespace":       awsapi.JSON(a.ListServicesByNamespace),
			"CreateTaskSet":                 awsapi.JSON(a.CreateTaskSet),
			"DescribeTaskSets":              awsapi.JSON(a.DescribeTaskSets),
			"UpdateTaskSet":                 awsapi.JSON(a.UpdateTaskSet),
			"UpdateServicePrimaryTaskSet":   awsapi.JSON(a.UpdateServicePrimaryTaskSet),
			"DeleteTaskSet":                 awsapi.JSON(a.DeleteTaskSet),
			"ExecuteCommand":                awsapi.JSON(a.ExecuteCommand),
		},
	})
}

// awsapiEndpoint is the URL the current call was sent to.
func awsapiEndpoint(ctx context.Context) string {
	return "http://" + awsapi.RequestFrom(ctx).Host
}
