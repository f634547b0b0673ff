package state

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
//	ecs/ACCOUNT/REGION/idx/…                         task indexes (index.go)
func Root(s model.Scope) string { return "ecs/" + s.Account + "/" + s.Region + "/" }

func ClustersPrefix(s model.Scope) string       { return Root(s) + "clusters/" }
func ClusterKey(s model.Scope, n string) string { return ClustersPrefix(s) + n }

func TaskDefsPrefix(s model.Scope) string { return Root(s) + "taskdefs/" }
func FamilyRevsPrefix(s model.Scope, family string) string {
	return TaskDefsPrefix(s) + family + "/"
}
func TaskDefKey(s model.Scope, family string, rev int32) string {
	return fmt.Sprintf("%s%010d", FamilyRevsPrefix(s, family), rev)
}

func FamiliesPrefix(s model.Scope) string           { return Root(s) + "families/" }
func FamilyKey(s model.Scope, family string) string { return FamiliesPrefix(s) + family }

func SettingsPrefix(s model.Scope, principal string) string {
	return Root(s) + "settings/" + principal + "/"
}

func TasksPrefix(s model.Scope, cluster string) string { return Root(s) + "tasks/" + cluster + "/" }
func ServicesPrefix(s model.Scope, cluster string) string {
	return Root(s) + "services/" + cluster + "/"
}
func InstancesPrefix(s model.Scope, cluster string) string {
	return Root(s) + "instances/" + cluster + "/"
}

// wharf's own records beside the ECS ones:
//
//	wharf/nodes/NODE                      nodeRecord (agent heartbeat)
//	wharf/node-tasks/NODE/TASKID          task key: the tasks assigned to a node (rebuilt with the indexes)
//	wharf/clusters/CLUSTER-ARN            cluster key: every ACTIVE cluster, all regions
//	wharf/inactive-clusters/CLUSTER-ARN   deletion time (RFC 3339): every INACTIVE cluster until reaped
//	wharf/idx/stopped/STOPPED-AT/TASK-KEY  STOPPED tasks by stop time (index.go)
//	wharf/index-version                   the task indexes' layout, once built
func NodeKey(node string) string         { return "wharf/nodes/" + node }
func NodeTasksPrefix(node string) string { return nodeTasksRoot + node + "/" }

// NodeTaskKey is keyed by the task's id, not its ARN: an id is random and
// unique across clusters and regions, and the value (the task key) says
// the rest.
func NodeTaskKey(node, taskARN string) string   { return NodeTasksPrefix(node) + LastSegment(taskARN) }
func ActiveClustersPrefix() string              { return "wharf/clusters/" }
func ActiveClusterKey(clusterARN string) string { return ActiveClustersPrefix() + clusterARN }
func InactiveClustersPrefix() string            { return "wharf/inactive-clusters/" }
func InactiveClusterKey(clusterARN string) string {
	return InactiveClustersPrefix() + clusterARN
}

func TaskKey(s model.Scope, cluster, id string) string     { return TasksPrefix(s, cluster) + id }
func InstanceKey(s model.Scope, cluster, id string) string { return InstancesPrefix(s, cluster) + id }

// NodesPrefix holds every node's heartbeat record.
const NodesPrefix = "wharf/nodes/"

// ServiceKey is ecs/ACCOUNT/REGION/services/CLUSTER/NAME.
func ServiceKey(s model.Scope, cluster, name string) string { return ServicesPrefix(s, cluster) + name }
