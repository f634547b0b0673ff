package wharftest

import "github.com/wharfhq/wharf/testkit/dockertest"

// Docker and Images are dockertest's, here for the tests that start a
// wharf and need the engine too.
var (
	Docker = dockertest.Docker
	Images = dockertest.Images
)
