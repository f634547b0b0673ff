package ecs

import (
	"fmt"

	"github.com/wharfhq/wharf/model"
)

// The key space of ECS records. Every key starts with the account and
// region, so regions are separate namespaces, and sorts so that a prefix
// scan answers the List calls in the order ECS returns them.
//
//	ecs/ACCOUNT/REGION/clusters/NAME                 clusterRecord
//	ecs/ACCOUNT/REGION/taskdefs/FAMILY/REV(10 digits) taskDefRecord
//	ecs/ACCOUNT/REGION/families/FAMILY               familyRecord
//	ecs/ACCOUNT/REGION/settings/PRINCIPAL/NAME       settingRecord
//	ecs/ACCOUNT/REGION/tasks/CLUSTER/ID              (tasks; see the agent issue)
//	ecs/ACCOUNT/REGION/services/CLUSTER/NAME         (services)
//	ecs/ACCOUNT/REGION/instances/CLUSTER/ID          (container instances)
func root(s model.Scope) string { return "ecs/" + s.Account + "/" + s.Region + "/" }

func clustersPrefix(s model.Scope) string       { return root(s) + "clusters/" }
func clusterKey(s model.Scope, n string) string { return clustersPrefix(s) + n }

func taskDefsPrefix(s model.Scope) string { return root(s) + "taskdefs/" }
func familyRevsPrefix(s model.Scope, family string) string {
	return taskDefsPrefix(s) + family + "/"
}
func taskDefKey(s model.Scope, family string, rev int32) string {
	return fmt.Sprintf("%s%010d", familyRevsPrefix(s, family), rev)
}

func familiesPrefix(s model.Scope) string           { return root(s) + "families/" }
func familyKey(s model.Scope, family string) string { return familiesPrefix(s) + family }

func settingsPrefix(s model.Scope, principal string) string {
	return root(s) + "settings/" + principal + "/"
}

func tasksPrefix(s model.Scope, cluster string) string { return root(s) + "tasks/" + cluster + "/" }
func servicesPrefix(s model.Scope, cluster string) string {
	return root(s) + "services/" + cluster + "/"
}
func instancesPrefix(s model.Scope, cluster string) string {
	return root(s) + "instances/" + cluster + "/"
}

// wharf's own records beside the ECS ones:
//
//	wharf/nodes/NODE                      nodeRecord (agent heartbeat)
//	wharf/node-tasks/NODE/TASK-ARN        task key: the tasks assigned to a node
//	wharf/clusters/CLUSTER-ARN            cluster key: every ACTIVE cluster, all regions
func nodeKey(node string) string                { return "wharf/nodes/" + node }
func nodeTasksPrefix(node string) string        { return "wharf/node-tasks/" + node + "/" }
func nodeTaskKey(node, taskARN string) string   { return nodeTasksPrefix(node) + taskARN }
func activeClustersPrefix() string              { return "wharf/clusters/" }
func activeClusterKey(clusterARN string) string { return activeClustersPrefix() + clusterARN }

func taskKey(s model.Scope, cluster, id string) string     { return tasksPrefix(s, cluster) + id }
func instanceKey(s model.Scope, cluster, id string) string { return instancesPrefix(s, cluster) + id }
