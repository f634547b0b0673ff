// Package docker is wharf's adapter to the Docker Engine API: the only place
// in wharf that talks to a container engine. The agent drives containers
// through *Runtime, whose methods take and return plain-Go types defined
// here (ContainerSpec, ContainerState, ContainerEvent, Stats, LogRecord, …),
// never Docker's API types, so the rest of wharf does not depend on the
// Docker client module.
//
// The client negotiates the API version with the engine, so Docker 20.10
// (API 1.41) and newer work. Errors are wrapped with what was being done
// ("docker: start container <id>: …"); IsNotFound tells whether an error
// means the container, image, volume or network does not exist; a failed
// image pull is a *PullError whose text is the ECS reason
// "CannotPullContainerError: <engine message>".
//
// Import rules: this package must not import any other wharf package, and it
// must not import testkit/* outside its tests (testkit/images and
// testkit/testapp provide the images its tests run).
package docker
