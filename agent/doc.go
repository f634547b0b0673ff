// Package agent owns one host: it long-polls the control plane for the
// tasks assigned to it, registers the host as a container instance of the
// clusters it serves (in the background, in bulk: register.go), runs each with a runner.Runner on the local Docker
// engine, reports every state change back, and serves the task metadata
// endpoint v4 to the containers.
//
// It talks to the control plane only through the narrow protocol of package
// agentproto, over HTTP, even inside `wharf up`, so that an agent on another
// host is the same code with another URL. It must not import awsapi, the
// store or controllers.
//
//	control plane ──poll──▶ agent ──▶ runner (one per task) ──▶ Docker
//	      ▲                   │              │
//	      └─SubmitTaskStateChange◀─ reporter ◀┘ status
package agent
