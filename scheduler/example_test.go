package scheduler_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/scheduler"
)

func exampleInstance(id, zone string, memory int) scheduler.Instance {
	return scheduler.Instance{
		ARN:            "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + id,
		ID:             id,
		Status:         scheduler.StatusActive,
		AgentConnected: true,
		Attributes:     map[string]string{"ecs.availability-zone": zone},
		Registered:     scheduler.Resources{CPU: 2048, Memory: memory},
	}
}

// RunTask with count 3 on a cluster where only two copies fit.
func ExamplePlace() {
	td := ecstypes.TaskDefinition{
		Family: new("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: new("app"), Cpu: 256, Memory: new(int32(512)), PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(80)), HostPort: new(int32(8080))}}},
		},
	}
	task := scheduler.Task{
		Family:     "web",
		Group:      "family:web",
		Resources:  scheduler.Requirements(td, nil),
		Strategies: []scheduler.Strategy{{Type: scheduler.Binpack, Field: "memory"}},
	}
	instances := []scheduler.Instance{
		exampleInstance("a1", "us-east-1a", 1024),
		exampleInstance("b1", "us-east-1b", 768),
	}
	r, err := scheduler.Place(task, 3, instances, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	for _, p := range r.Placements {
		fmt.Println("placed on", p.InstanceID)
	}
	for _, f := range r.Failures {
		fmt.Println("failure", f.ARN, f.Reason)
	}
	fmt.Println(r.Explanation.Summary())
	fmt.Println("service web was " + r.Explanation.Event())
	// Output:
	// placed on b1
	// placed on a1
	// failure arn:aws:ecs:us-east-1:000000000000:container-instance/default/a1 RESOURCE:PORTS
	// failure arn:aws:ecs:us-east-1:000000000000:container-instance/default/b1 RESOURCE:PORTS
	// 2 instances with a required TCP host port in use
	// service web was unable to place a task because no container instance met all of its requirements. The closest matching container-instance a1 is already using a port required by your task.
}

// ListContainerInstances --filter.
func ExampleFilterInstances() {
	instances := []scheduler.Instance{
		exampleInstance("a1", "us-east-1a", 1024),
		exampleInstance("b1", "us-east-1b", 1024),
		exampleInstance("c1", "us-east-1c", 1024),
	}
	got, err := scheduler.FilterInstances("attribute:ecs.availability-zone in [us-east-1a, us-east-1c]", instances)
	if err != nil {
		panic(err)
	}
	for _, in := range got {
		fmt.Println(in.ID)
	}
	_, err = scheduler.FilterInstances("attribute:ecs.availability-zone in us-east-1a", instances)
	fmt.Println(err)
	// Output:
	// a1
	// c1
	// invalid expression "attribute:ecs.availability-zone in us-east-1a": at position 36: attribute:ecs.availability-zone in needs a list like [a, b], found "us-east-1a"
}
