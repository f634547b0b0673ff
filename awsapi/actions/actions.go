package actions

import (
	"sort"
	"strings"
)

// Call is what IAM judges for one API call.
type Call struct {
	// Action is "<service prefix>:<Operation>".
	Action string
	// Resources are the ARNs the action is checked against, each on its
	// own; never empty ("*" when the action has no resource type).
	Resources []string
	// Context holds the condition keys the call's parameters give, by
	// their documented names.
	Context map[string][]string
	// Also are further authorizations the call needs: ECS's tag-on-create
	// (a create call that sets tags also needs ecs:TagResource, with
	// ecs:CreateAction naming the create call).
	Also []Call
}

// ecsTagOnCreate are the ECS calls that tag what they create; with tags
// they also need ecs:TagResource (ECS developer guide, "Grant permission
// to tag resources on creation").
var ecsTagOnCreate = map[string]bool{
	"CreateCapacityProvider": true, "CreateCluster": true, "CreateService": true, "CreateTaskSet": true,
	"RegisterContainerInstance": true, "RegisterTaskDefinition": true, "RunTask": true, "StartTask": true,
}

// scope is the account and region of ARNs built for a call.
type scope struct{ region, account string }

func (s scope) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + s.region + ":" + s.account + ":" + resource
}

// prefixes maps signing names to IAM service prefixes where they differ.
var prefixes = map[string]string{"monitoring": "cloudwatch"}

// For names the action, resources and request condition keys of
// operation op of the service whose SigV4 signing name is signingName.
func For(signingName, op, region, account string, in Input) Call {
	prefix := signingName
	if p, ok := prefixes[signingName]; ok {
		prefix = p
	}
	sc := scope{region: region, account: account}
	c := Call{Action: prefix + ":" + op, Context: map[string][]string{}}
	switch prefix {
	case "ecs":
		c.Resources = ecsResources(sc, op, in, c.Context)
	case "secretsmanager":
		c.Resources = secretsResources(sc, op, in)
	case "ssm":
		c.Resources = ssmResources(sc, op, in)
	case "logs":
		c.Resources = logsResources(sc, op, in)
	case "elasticloadbalancing":
		c.Resources = elbResources(op, in)
	case "iam":
		c.Resources = iamResources(account, op, in)
	case "sts":
		if r := in.String("RoleArn"); r != "" {
			c.Resources = []string{r}
		}
	case "ecr":
		if r := in.String("repositoryName"); r != "" {
			c.Resources = []string{sc.arn("ecr", "repository/"+r)}
		}
	case "cloudwatch":
		// Alarm operations name their alarms; metric operations have no
		// resource.
		names := in.Strings("AlarmNames")
		if n := in.String("AlarmName"); n != "" {
			names = append(names, n)
		}
		for _, n := range names {
			c.Resources = append(c.Resources, sc.arn("cloudwatch", "alarm:"+n))
		}
	case "events":
		// Rule operations name a rule of a bus (the default bus's ARN has
		// no bus in it).
		rule := in.String("Rule")
		if rule == "" && strings.HasSuffix(op, "Rule") {
			rule = in.String("Name")
		}
		if rule != "" && !strings.HasPrefix(rule, "arn:") {
			if bus := in.String("EventBusName"); bus != "" && bus != "default" {
				rule = bus + "/" + rule
			}
			rule = sc.arn("events", "rule/"+rule)
		}
		if rule != "" {
			c.Resources = []string{rule}
		}
	}
	if len(c.Resources) == 0 {
		// Tagging calls of every service name their resource alike.
		for _, name := range []string{"resourceArn", "ResourceArn", "ResourceARN"} {
			if r := in.String(name); r != "" {
				c.Resources = []string{r}
				break
			}
		}
	}
	if len(c.Resources) == 0 {
		c.Resources = []string{"*"}
	}
	if tags := in.Tags(); len(tags) > 0 {
		keys := make([]string, 0, len(tags))
		for k, v := range tags {
			keys = append(keys, k)
			c.Context["aws:RequestTag/"+k] = []string{v}
		}
		sort.Strings(keys)
		c.Context["aws:TagKeys"] = keys
	}
	if keys := in.Strings("tagKeys"); len(keys) > 0 {
		c.Context["aws:TagKeys"] = keys
	}
	if prefix == "ecs" && ecsTagOnCreate[op] && len(in.Tags()) > 0 {
		tag := Call{Action: "ecs:TagResource", Resources: []string{"*"}, Context: map[string][]string{"ecs:CreateAction": {op}}}
		switch op {
		case "CreateCluster":
			tag.Resources = []string{sc.arn("ecs", "cluster/"+in.String("clusterName"))}
		case "CreateService":
			tag.Resources = c.Resources
		}
		for k, v := range c.Context {
			tag.Context[k] = v
		}
		c.Also = append(c.Also, tag)
	}
	return c
}

// ecsResources follows the ECS section of the reference: cluster,
// service, task, task-definition and container-instance ARNs, with the
// ecs:cluster condition key wherever a cluster is named.
func ecsResources(sc scope, op string, in Input, ctx map[string][]string) []string {
	cluster := in.String("cluster")
	clusterName := lastSegment(cluster)
	if clusterName == "" {
		clusterName = "default"
	}
	clusterARN := sc.arn("ecs", "cluster/"+clusterName)
	if strings.HasPrefix(cluster, "arn:") {
		clusterARN = cluster
	}
	switch op {
	case "ListClusters", "CreateCluster", "RegisterTaskDefinition", "DescribeTaskDefinition", "ListTaskDefinitions",
		"ListTaskDefinitionFamilies", "DeregisterTaskDefinition", "DeleteTaskDefinitions", "ListAccountSettings",
		"PutAccountSetting", "PutAccountSettingDefault", "DeleteAccountSetting", "DescribeCapacityProviders",
		"CreateCapacityProvider", "DiscoverPollEndpoint", "ListServicesByNamespace":
		return []string{"*"}
	}
	ctx["ecs:cluster"] = []string{clusterARN}
	child := func(kind, ref string) string {
		if strings.HasPrefix(ref, "arn:") {
			return ref
		}
		return sc.arn("ecs", kind+"/"+clusterName+"/"+ref)
	}
	each := func(kind string, refs []string) []string {
		out := make([]string, 0, len(refs))
		for _, r := range refs {
			out = append(out, child(kind, r))
		}
		return out
	}
	switch op {
	case "DescribeClusters":
		refs := in.Strings("clusters")
		if len(refs) == 0 {
			return []string{sc.arn("ecs", "cluster/default")}
		}
		out := make([]string, 0, len(refs))
		for _, r := range refs {
			if !strings.HasPrefix(r, "arn:") {
				r = sc.arn("ecs", "cluster/"+r)
			}
			out = append(out, r)
		}
		delete(ctx, "ecs:cluster")
		return out
	case "DeleteCluster", "UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders",
		"ListContainerInstances", "RegisterContainerInstance", "SubmitTaskStateChange",
		"SubmitContainerStateChange", "SubmitAttachmentStateChanges", "ListAttributes", "DeleteAttributes", "PutAttributes":
		return []string{clusterARN}
	case "CreateService":
		return []string{child("service", in.String("serviceName"))}
	case "UpdateService", "DeleteService", "CreateTaskSet", "DescribeTaskSets", "UpdateTaskSet",
		"UpdateServicePrimaryTaskSet", "DeleteTaskSet":
		return []string{child("service", in.String("service"))}
	case "DescribeServices":
		return each("service", in.Strings("services"))
	case "StopTask", "GetTaskProtection", "UpdateTaskProtection":
		if t := in.String("task"); t != "" {
			return []string{child("task", t)}
		}
		return each("task", in.Strings("tasks"))
	case "DescribeTasks":
		return each("task", in.Strings("tasks"))
	case "RunTask", "StartTask":
		td := in.String("taskDefinition")
		if !strings.HasPrefix(td, "arn:") {
			td = sc.arn("ecs", "task-definition/"+td)
		}
		return []string{td}
	case "DescribeContainerInstances", "UpdateContainerInstancesState":
		return each("container-instance", in.Strings("containerInstances"))
	case "DeregisterContainerInstance", "UpdateContainerAgent":
		return []string{child("container-instance", in.String("containerInstance"))}
	case "TagResource", "UntagResource", "ListTagsForResource":
		delete(ctx, "ecs:cluster")
		return []string{in.String("resourceArn")}
	}
	return []string{"*"}
}

// secretsResources: a secret's ARN. A secret named rather than given by
// ARN is named by its ARN without AWS's random suffix ("-??????" in
// IAM's wildcard terms), since the suffix is only known to the store.
func secretsResources(sc scope, op string, in Input) []string {
	id := in.String("SecretId")
	if op == "CreateSecret" {
		id = in.String("Name")
	}
	switch {
	case id == "":
		return []string{"*"}
	case strings.HasPrefix(id, "arn:"):
		return []string{id}
	}
	return []string{sc.arn("secretsmanager", "secret:"+id+"-??????")}
}

// ssmResources: parameter ARNs (a name with a leading slash joins
// "parameter" directly: parameter/app/db).
func ssmResources(sc scope, op string, in Input) []string {
	param := func(name string) string {
		if strings.HasPrefix(name, "arn:") {
			return name
		}
		if strings.HasPrefix(name, "/") {
			return sc.arn("ssm", "parameter"+name)
		}
		return sc.arn("ssm", "parameter/"+name)
	}
	switch op {
	case "GetParameters", "DeleteParameters":
		var out []string
		for _, n := range in.Strings("Names") {
			out = append(out, param(n))
		}
		return out
	case "GetParametersByPath":
		return []string{param(in.String("Path"))}
	case "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource":
		if in.String("ResourceType") == "Parameter" {
			return []string{param(in.String("ResourceId"))}
		}
		return nil
	}
	if n := in.String("Name"); n != "" {
		return []string{param(n)}
	}
	return nil
}

// logsResources: log-group and log-stream ARNs in the form IAM checks
// them (…:log-group:NAME:log-stream: for actions on a group, as AWS's
// denials of logs:CreateLogGroup name it).
func logsResources(sc scope, op string, in Input) []string {
	group := in.String("logGroupName")
	if group == "" {
		if a := in.String("resourceArn"); a != "" {
			return []string{a}
		}
		return nil
	}
	stream := ""
	switch op {
	case "PutLogEvents", "GetLogEvents", "CreateLogStream", "DeleteLogStream":
		stream = in.String("logStreamName")
	}
	return []string{sc.arn("logs", "log-group:"+group+":log-stream:"+stream)}
}

// elbResources: the load balancer, listener, rule or target group ARNs a
// call names.
func elbResources(op string, in Input) []string {
	if op == "AddTags" || op == "RemoveTags" || op == "DescribeTags" {
		return in.Strings("ResourceArns")
	}
	for _, name := range []string{"RuleArn", "ListenerArn", "LoadBalancerArn", "TargetGroupArn"} {
		if strings.HasPrefix(op, "Describe") {
			break
		}
		if a := in.String(name); a != "" {
			return []string{a}
		}
	}
	return nil
}

// iamResources: the user, group, role, policy or instance profile a call
// names (IAM resources carry no region). Paths are left out: wharf would
// have to read the store to know them.
func iamResources(account, op string, in Input) []string {
	arn := func(kind, name string) string { return "arn:aws:iam::" + account + ":" + kind + "/" + name }
	if p := in.String("PolicyArn"); p != "" && !strings.Contains(op, "User") && !strings.Contains(op, "Role") && !strings.Contains(op, "Group") {
		return []string{p}
	}
	switch {
	case strings.Contains(op, "InstanceProfile") && in.String("InstanceProfileName") != "":
		return []string{arn("instance-profile", in.String("InstanceProfileName"))}
	case op == "CreatePolicy":
		path := in.String("Path")
		if path == "" {
			path = "/"
		}
		return []string{"arn:aws:iam::" + account + ":policy" + path + in.String("PolicyName")}
	}
	for _, m := range []struct{ param, kind string }{{"RoleName", "role"}, {"GroupName", "group"}, {"UserName", "user"}} {
		if n := in.String(m.param); n != "" {
			return []string{arn(m.kind, n)}
		}
	}
	return nil
}

// lastSegment is the name at the end of a cluster reference (a name or
// an ARN ending in cluster/NAME).
func lastSegment(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}
